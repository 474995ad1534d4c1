"""Prompt reading and generation speed of the local reader per thread setting.

Each configuration runs in a fresh process (OpenMP reads OMP_WAIT_POLICY when llama.cpp
loads), in rounds that alternate the configurations so that a shared machine's load falls on
all of them alike. Prints tokens/s with the load average; the figures behind the defaults
QA_LLM__THREADS=2, QA_LLM__BATCH_THREADS=2, the passive OpenMP wait in qa.llm.local and
(`--flash`) QA_LLM__FLASH_ATTENTION.

    python -m eval.bench.reader_speed [--rounds 2] [--prompt-tokens 480] [--flash] [--json]

`--build LABEL=DIR` (repeatable) compares llama-cpp-python builds instead: each child imports
llama_cpp from DIR (an unpacked wheel; `installed` is the venv's own), at the default threads.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

# (generation threads, prompt threads, OpenMP wait policy, flash attention)
CONFIGS = [(1, 2, "PASSIVE", False), (2, 2, "PASSIVE", False), (2, 2, "ACTIVE", False)]
FLASH = [(2, 2, "PASSIVE", False), (2, 2, "PASSIVE", True)]
SAMPLE = Path(__file__).resolve().parents[2] / "index" / "corpus"


def measure(
    threads: int, batch_threads: int, prompt_tokens: int, new_tokens: int, flash: bool = False
) -> dict:
    """Runs in the child: one prompt read and one generation, timed."""
    from llama_cpp import Llama

    from qa.llm.local import model_file
    from qa.settings import LLMSettings

    path = model_file(LLMSettings())
    llama = Llama(
        model_path=str(path),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=batch_threads,
        n_batch=512,
        flash_attn=flash,
        verbose=False,
    )
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLE.glob("*.txt")))
    tokens = llama.tokenize(text.encode("utf-8"), add_bos=False)[:prompt_tokens]
    began = time.perf_counter()
    llama.eval(tokens)
    read_s = time.perf_counter() - began
    generated, began = 0, time.perf_counter()
    for token in llama.generate(tokens, temp=0.0):  # reuses the prompt just read
        generated += 1
        if generated == new_tokens or token == llama.token_eos():
            break
    write_s = time.perf_counter() - began
    return {
        "prompt_tokens_per_s": round(len(tokens) / read_s, 1),
        "generated_tokens_per_s": round(generated / write_s, 1),
    }


def run_child(
    config: tuple[int, int, str, bool], prompt_tokens: int, new_tokens: int, build: str = ""
) -> dict:
    threads, batch_threads, policy, flash = config
    env = {**os.environ, "OMP_WAIT_POLICY": policy, "HF_HUB_OFFLINE": "1"}
    if build:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [build, env.get("PYTHONPATH")]))
    code = (
        "import json, eval.bench.reader_speed as m;"
        f"print(json.dumps(m.measure({threads}, {batch_threads}, {prompt_tokens}, "
        f"{new_tokens}, {flash})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    row = json.loads(out.stdout.strip().splitlines()[-1])
    load = os.getloadavg()[0]
    return {
        "build": build or "installed",
        "threads": threads,
        "batch_threads": batch_threads,
        "omp_wait": policy,
        "flash_attention": flash,
        "load_1min": round(load, 2),
        **row,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=480)
    parser.add_argument("--new-tokens", type=int, default=40)
    parser.add_argument(
        "--build",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="a llama-cpp-python build to compare (DIR on PYTHONPATH; 'installed' = the venv's)",
    )
    parser.add_argument(
        "--flash", action="store_true", help="compare flash attention off and on instead"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    builds = [b.partition("=")[2] if b.partition("=")[2] != "installed" else "" for b in args.build]
    configs = FLASH if args.flash else CONFIGS
    runs = [(c, "") for c in configs] if not builds else [(CONFIGS[1], b) for b in builds]
    rows = []
    for round_number in range(1, args.rounds + 1):
        for config, build in runs:
            measured = run_child(config, args.prompt_tokens, args.new_tokens, build)
            row = {"round": round_number, **measured}
            rows.append(row)
            if not args.json:
                print(
                    f"round {row['round']}  {row['build']}  "
                    f"threads {row['threads']}/{row['batch_threads']} "
                    f"OMP {row['omp_wait']:<7}  flash {row['flash_attention']!s:<5}  "
                    f"prompt {row['prompt_tokens_per_s']:>6} tok/s  "
                    f"generation {row['generated_tokens_per_s']:>5} tok/s  load {row['load_1min']}",
                    flush=True,
                )
    if args.json:
        print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
