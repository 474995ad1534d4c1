"""Real language models for the LLM tests: the packaged SmolLM2 in-process and behind a real
OpenAI-compatible server (llama-cpp-python's), started on a loopback port."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.bench.llama_server import LlamaServer
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.llm.local import packaged_smollm2 as packaged_gguf
from qa.pipeline import Pipeline, build_pipeline
from tests.conftest import make_settings

# SmolLM2 is too weak to judge support: its tests keep the score as the judge.
LLM = {
    "threads": 2,
    "timeout_s": 120.0,
    "max_tokens": 96,
    "local_model": "smollm2",
    "judge": "score",
}


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


@pytest.fixture(scope="session")
def llama_server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(gguf, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()
