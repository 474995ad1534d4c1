"""Real language models for the LLM tests: the packaged SmolLM2 in-process and behind a real
OpenAI-compatible server (llama-cpp-python's), started on a loopback port."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.llm.llamacpp import packaged_gguf
from qa.pipeline import Pipeline, build_pipeline
from tests.conftest import free_port, make_settings, wait_for_http

LLM = {"threads": 2, "timeout_s": 120.0, "max_tokens": 96}


@pytest.fixture(scope="session")
def gguf() -> Path:
    return packaged_gguf()


def indexed_pipeline(store: Path, llm: dict) -> Pipeline:
    pipeline = build_pipeline(make_settings(store, llm=llm))
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    return pipeline


@pytest.fixture(scope="session")
def llama_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The sample corpus answered by SmolLM2 run in-process."""
    p = indexed_pipeline(
        tmp_path_factory.mktemp("llama") / "store", {"provider": "llamacpp", **LLM}
    )
    yield p
    p.close()


class LlamaServer:
    """llama-cpp-python's OpenAI-compatible server as a child process."""

    def __init__(self, gguf: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_threads",
                "2",
                "--n_ctx",
                "2048",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        wait_for_http(f"{self.url}/models", timeout=120)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def llama_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(gguf, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()
