"""The openai backend against a real OpenAI-compatible server (llama-cpp-python's)."""

import pytest

from eval.bench.llama_server import LlamaServer
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from tests.conftest import make_settings
from tests.qa.llm.checks import assert_citations_verified

pytestmark = pytest.mark.llm

QUESTION = "What did Russia veto in March?"


def openai_pipeline(store, url: str, **llm):
    settings = make_settings(
        store,
        llm={"provider": "openai", "base_url": url, "model": "smollm2", "max_tokens": 96, **llm},
    )
    pipeline = build_pipeline(settings)
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    return pipeline


def test_answer_and_stream_through_a_real_server(llama_server, tmp_path):
    pipeline = openai_pipeline(tmp_path / "store", llama_server.url, timeout_s=120)
    assert pipeline.answerer.problem() is None

    answer = pipeline.ask(QUESTION)
    assert answer.backend == "openai" and answer.fallback is None
    assert answer.claims
    assert_citations_verified(pipeline, answer)

    events = list(pipeline.ask_stream(QUESTION))
    assert events[0][0] == "passages" and events[-1][0] == "answer"
    assert sum(1 for k, _ in events if k == "delta") >= 2
    assert events[-1][1].fallback is None
    assert_citations_verified(pipeline, events[-1][1])
    pipeline.close()


def test_timeout_falls_back_to_the_extractive_answer(llama_server, tmp_path):
    pipeline = openai_pipeline(tmp_path / "store", llama_server.url, timeout_s=0.001)
    answer = pipeline.ask(QUESTION)
    assert answer.fallback and "extractive" in answer.fallback
    assert answer.backend == "openai"
    assert not answer.abstained and "Russia vetoed" in answer.text
    assert_citations_verified(pipeline, answer)
    pipeline.close()


def test_server_stopped_mid_test_falls_back_and_reports_it(gguf, tmp_path):
    server = LlamaServer(gguf, tmp_path / "server.log")
    try:
        pipeline = openai_pipeline(tmp_path / "store", server.url, timeout_s=60)
        assert pipeline.ask(QUESTION).fallback is None
    finally:
        server.stop()
    assert "unreachable" in (pipeline.answerer.problem() or "")
    answer = pipeline.ask(QUESTION)
    assert answer.fallback and "failed" in answer.fallback
    assert_citations_verified(pipeline, answer)
    pipeline.close()
