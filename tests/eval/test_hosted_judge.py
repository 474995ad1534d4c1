"""The hosted judge: entailment verdicts from a chat model behind a real OpenAI-compatible server
(llama-cpp-python's, serving the packaged SmolLM2), used by `qa eval` when QA_JUDGE__BASE_URL
is set. SmolLM2 is a poor judge, so the server tests ask for wiring and clear failures, not for
good verdicts; the verdict arithmetic is checked on replies built by hand."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from eval.bench.llama_server import LlamaServer
from qa.errors import BackendError
from qa.llm.hosted_judge import build_hosted_judge, verdict
from qa.settings import JudgeSettings
from service.cli import app


def test_verdict_reads_the_first_tokens_yes_and_no_shares():
    top = [
        {"token": "Yes", "logprob": -0.2231},  # p 0.8
        {"token": " no", "logprob": -1.6094},  # p 0.2
        {"token": "Maybe", "logprob": -3.0},
    ]
    meta = {"logprobs": {"content": [{"token": "Yes", "logprob": -0.2231, "top_logprobs": top}]}}
    assert verdict(AIMessage(content="Yes", response_metadata=meta)) == pytest.approx(0.8, 1e-3)
    # no log-probs: the first word decides, and anything unclear is no support
    assert verdict(AIMessage(content="Yes.")) == 1.0
    assert verdict(AIMessage(content="no")) == 0.0
    assert verdict(AIMessage(content="It depends")) == 0.0


def test_a_hosted_judge_without_an_endpoint_names_the_setting(tmp_path, monkeypatch):
    from qa.errors import ConfigError

    with pytest.raises(ConfigError, match="QA_JUDGE__BASE_URL"):
        build_hosted_judge(JudgeSettings())
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("QA_STORE__PATH", str(tmp_path / "store"))
    monkeypatch.delenv("QA_JUDGE__BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["eval", "--judge", "hosted", "--out", "out"])
    assert result.exit_code == 1 and "QA_JUDGE__BASE_URL" in result.output
    assert not (tmp_path / "out/results.jsonl").exists(), "stopped before answering anything"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    from qa.llm.local import packaged_smollm2

    llama = LlamaServer(packaged_smollm2(), tmp_path_factory.mktemp("judge") / "server.log")
    yield llama
    llama.stop()


@pytest.mark.llm
def test_qa_eval_is_judged_by_the_configured_endpoint(server, tmp_path, monkeypatch):
    from eval.grounding.run import SAMPLE_SET, load_set

    first = load_set(SAMPLE_SET)[0]
    small = tmp_path / "one.jsonl"
    small.write_text(json.dumps(first, ensure_ascii=False) + "\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QA_STORE__PATH", str(tmp_path / "store"))
    monkeypatch.setenv("QA_JUDGE__BASE_URL", server.url)
    monkeypatch.setenv("QA_JUDGE__MODEL", "smollm2")
    result = CliRunner().invoke(app, ["eval", "--set", str(small), "--out", "out", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out/summary.json").read_text())
    assert summary["run"]["judge"] == "hosted"  # auto: the configured endpoint
    assert summary["metrics"]["faithfulness"] is not None


@pytest.mark.llm
def test_the_hosted_judge_gives_one_probability_per_claim_and_fails_clearly(tmp_path: Path):
    from qa.llm.local import packaged_smollm2

    own = LlamaServer(packaged_smollm2(), tmp_path / "server.log")
    judge = build_hosted_judge(JudgeSettings(base_url=own.url, model="smollm2", timeout_s=60))
    claims = ["The treaty was signed in June.", "The treaty was signed in May."]
    votes = judge.support(claims, ["The treaty was signed in June 2024."])
    assert len(votes) == 2 and all(0.0 <= v <= 1.0 for v in votes)
    assert any(0.0 < v < 1.0 for v in votes), "read from the log-probs, not only the word"
    assert judge.support(claims, []) == [0.0, 0.0]
    own.stop()
    with pytest.raises(BackendError, match=own.url.replace(".", r"\.")):
        judge.support(claims[:1], ["The treaty was signed in June 2024."])
