"""The runner end to end on five questions with the real pipeline, and `qa eval`'s exit code."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from eval.grounding.run import SAMPLE_SET, EvalConfig, evaluate, load_set
from service.cli import app
from tests.conftest import make_settings

KINDS = ("single_fact", "unanswerable", "both_documents", "follow_up", "paraphrase")


@pytest.fixture(scope="module")
def small_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first question of five kinds of the sample-corpus set."""
    items = load_set(SAMPLE_SET)
    chosen = [next(i for i in items if i["kind"] == kind) for kind in KINDS]
    path = tmp_path_factory.mktemp("set") / "five.jsonl"
    path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in chosen), "utf-8")
    return path


def test_runner_writes_results_summary_and_report(small_set: Path, tmp_path: Path):
    config = EvalConfig(set_path=small_set, out_dir=tmp_path / "out", progress=False)
    config.minimums = {"citation.precision": 0.5}
    summary, failures = evaluate(config, make_settings(tmp_path / "unused-store"))

    rows = [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in rows] == list(KINDS)
    for row in rows:
        for key in ("user_input", "retrieved_contexts", "response", "reference"):
            assert key in row
        assert (
            row["reference_contexts"] == load_set(small_set)[rows.index(row)]["reference_contexts"]
        )
        assert set(row["metrics"]) >= {"mrr", "citation_precision", "faithfulness", "token_f1"}
        if not row["abstained"]:
            assert row["citations"], "the extractive answerer cites every sentence"
            for c in row["citations"]:
                assert c["quote"] in row["retrieved_contexts"][c["marker"] - 1]
    first = rows[0]
    assert first["metrics"]["mrr"] == 1.0 and "June 19" in first["response"]

    on_disk = json.loads((tmp_path / "out/summary.json").read_text())
    assert on_disk["metrics"] == summary["metrics"]
    assert summary["counts"]["questions"] == 5 and summary["counts"]["errors"] == 0
    assert summary["run"]["backend"] == "extractive"
    assert summary["metrics"]["citation.precision"] == 1.0
    assert "latency.total_ms.p95" in summary["metrics"]
    assert failures == []

    page = (tmp_path / "out/report.html").read_text()
    assert page.startswith("<!doctype html>") and "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page, "self-contained"
    assert "What is the capital of Cambodia?" in page


def test_qa_eval_exits_non_zero_below_a_floor_and_zero_above(
    small_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("QA_STORE__PATH", str(tmp_path / "store"))
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"min": {"citation.precision": 0.5}}))
    runner = CliRunner()
    base = ["eval", "--set", str(small_set), "--thresholds", str(thresholds)]

    failing = runner.invoke(app, [*base, "--out", "fail", "--min", "retrieval.mrr=1.01"])
    assert failing.exit_code == 1, failing.output
    assert "FAIL retrieval.mrr" in failing.output
    assert (tmp_path / "fail/report.html").is_file()

    passing = runner.invoke(app, [*base, "--out", "pass", "--min", "retrieval.mrr=0.1"])
    assert passing.exit_code == 0, passing.output
    assert "FAIL" not in passing.output

    typo = runner.invoke(app, [*base, "--out", "typo", "--min", "faithfulnes=0.5"])
    assert typo.exit_code == 1 and "unknown metric 'faithfulnes'" in typo.output


def test_runner_against_a_running_service(small_set: Path, tmp_path: Path):
    from service import create_app
    from tests.service.conftest import index_sample, serve

    settings = make_settings(tmp_path / "service-store")
    index_sample(settings)
    with serve(create_app(settings)) as url:
        config = EvalConfig(set_path=small_set, out_dir=tmp_path / "out", url=url, progress=False)
        summary, failures = evaluate(config, make_settings(tmp_path / "unused-store"))
    rows = [json.loads(line) for line in (tmp_path / "out/results.jsonl").read_text().splitlines()]
    assert failures == [] and summary["counts"]["errors"] == 0
    assert summary["run"]["url"] == url and summary["run"]["unjudged_passages"] == 0
    assert "June 19" in rows[0]["response"] and rows[1]["abstained"]
    assert all("http_ms" in r["timings_ms"] for r in rows)
    assert summary["metrics"]["citation.precision"] == 1.0


def test_ragas_request_says_what_is_missing():
    import importlib.util

    from eval.grounding.run import ragas_status

    if importlib.util.find_spec("ragas") is None:
        assert "pip install ragas" in ragas_status("extractive")
    else:  # not imported here: importing Ragas patches asyncio for the rest of the session
        assert "LLM judge" in ragas_status("extractive")
        assert "OpenAI-compatible" in ragas_status("ollama")
