"""llama.cpp is compiled for the vector units of the CPU it runs on (the Makefile's flags).

Prompt reading, most of a reader answer's time, was 1.47x faster with AVX-512 than with the
AVX2-only build (eval/BENCHMARKS.md). AMX stays off: its kernels crashed on the Q4_K reader.
"""

from pathlib import Path

import pytest

pytestmark = pytest.mark.llm

llama_cpp = pytest.importorskip("llama_cpp")


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def built_with() -> dict[str, bool]:
    """`llama_print_system_info()` as {"AVX2": True, ...}."""
    info = llama_cpp.llama_print_system_info().decode()
    pairs = (item.split("=") for item in info.replace("CPU :", "").split("|") if "=" in item)
    return {name.strip(): value.strip() == "1" for name, value in pairs}


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="needs Linux's /proc/cpuinfo")
def test_the_build_uses_the_cpus_avx512_and_vnni_but_not_amx():
    flags, built = cpu_flags(), built_with()
    assert built.get("AVX2") == ("avx2" in flags)
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"} <= flags:
        assert built.get("AVX512"), built
        assert built.get("AVX512_VNNI") == ("avx512_vnni" in flags), built
    assert built.get("AVX_VNNI", False) == ("avx_vnni" in flags), built
    assert not built.get("AMX_INT8"), "AMX kernels crash on the Q4_K reader (llama.cpp #20824)"
