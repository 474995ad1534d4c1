"""`qa eval --ragas` end to end: three questions, answered and judged by a real OpenAI-compatible
server (llama-cpp-python's, serving the packaged SmolLM2). The 135M model is a poor judge, so the
test asks that Ragas computed every metric, a score or a recorded NaN, not for good scores.
Which rows each metric judges is checked without a model."""

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from eval.bench.llama_server import LlamaServer
from eval.grounding.ragas_bridge import _number, select_rows
from eval.grounding.run import SAMPLE_SET, load_set

KINDS = ("single_fact", "paraphrase", "unanswerable")
METRICS = ("ragas.faithfulness", "ragas.context_precision", "ragas.context_recall")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    if importlib.util.find_spec("ragas") is None:  # found, not imported (see below)
        pytest.skip("ragas is not installed (make install-llm)")
    from qa.llm.local import packaged_smollm2 as packaged_gguf

    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    llama = LlamaServer(packaged_gguf(), log)
    yield llama
    llama.stop()


def test_faithfulness_skips_abstentions_and_context_metrics_need_reference_quotes():
    def row(abstained=False, quotes=("q",), contexts=("c",), error=None, response="An answer."):
        return {
            "abstained": abstained,
            "reference_contexts": list(quotes),
            "retrieved_contexts": list(contexts),
            "error": error,
            "response": response,
        }

    rows = [
        row(),
        row(abstained=True),
        row(quotes=()),  # unanswerable: nothing to recall
        row(contexts=()),  # nothing retrieved: nothing to judge
        row(error="timeout"),
        row(response=""),
    ]
    chosen = select_rows(rows)
    assert chosen["faithfulness"] == [0, 2]
    assert chosen["context_precision"] == chosen["context_recall"] == [0, 1, 5]
    assert _number(float("nan")) is None and _number(None) is None and _number(0.5) == 0.5


@pytest.mark.llm
@pytest.mark.timeout(600)
def test_qa_eval_ragas_reports_ragas_metrics(server: LlamaServer, tmp_path: Path):
    items = load_set(SAMPLE_SET)
    chosen = [next(i for i in items if i["kind"] == kind) for kind in KINDS]
    small_set = tmp_path / "three.jsonl"
    small_set.write_text("".join(json.dumps(i) + "\n" for i in chosen), "utf-8")
    env = {
        **os.environ,
        "QA_STORE__PATH": str(tmp_path / "store"),
        "QA_LLM__PROVIDER": "openai",
        "QA_LLM__BASE_URL": server.url,
        "QA_LLM__MODEL": "smollm2",
        "QA_LLM__TIMEOUT_S": "60",
    }
    # Two passages a question keep most of Ragas' prompts inside the model's 2048-token context.
    # A process of its own: importing Ragas patches asyncio (nest_asyncio) for good.
    args = ["eval", "--provider", "openai", "--ragas", "--top-k", "2", "--set", str(small_set)]
    result = subprocess.run(
        [str(Path(sys.executable).with_name("qa")), *args, "--out", "out"],
        cwd=tmp_path,  # no .env of the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ragas metrics skipped" not in result.stderr

    summary = json.loads((tmp_path / "out/summary.json").read_text())
    assert summary["run"]["backend"] == "openai"
    ragas = summary["ragas"]
    answered = sum(1 for r in chosen if r["kind"] != "unanswerable")
    assert ragas["judged_rows"]["ragas.context_recall"] == answered, "rows with reference quotes"
    assert ragas["judged_rows"]["ragas.faithfulness"] == summary["counts"]["answered"]
    for name in METRICS:
        value, nans = summary["metrics"][name], ragas["nan_counts"][name]
        assert isinstance(nans, int) and 0 <= nans <= ragas["judged_rows"][name]
        if value is None:
            assert nans == ragas["judged_rows"][name], f"{name}: no score and no NaN recorded"
        else:
            assert 0.0 <= value <= 1.0 and nans < ragas["judged_rows"][name]
        assert f"{name} NaN judgements" in result.stdout
    assert ragas["judge"]["model"] == "smollm2"

    page = (tmp_path / "out/report.html").read_text()
    assert "ragas.context_recall" in page and "NaN judgements" in page
