"""The `qa` command end to end, in subprocesses, against a private embedded store."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from index.ingest import SAMPLE_CORPUS
from index.normalize import normalize_text
from tests.conftest import free_port
from tests.samples import BAD_FILES, write_bad_file

pytestmark = pytest.mark.cli

QA = Path(sys.executable).parent / "qa"
QUESTION = "What did Russia veto in March?"
SAMPLE_SET = (
    Path(__file__).resolve().parents[2] / "eval" / "grounding" / "sets" / "sample_corpus.jsonl"
)


def run_qa(*args: str, store: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """Run `qa` with a clean QA_* environment (no .env: cwd is a scratch folder)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    clean.update(
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        QA_STORE__PATH=str(store),
        **env,
    )
    return subprocess.run(
        [str(QA), *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=300
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def fails_cleanly(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """A non-zero exit with exactly one line on stderr, `error: ...`, and no traceback."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def index_state(store: Path) -> tuple:
    """What the catalog and Chroma hold, read straight from their SQLite files."""
    with sqlite3.connect(store / "catalog.sqlite") as db:
        docs = sorted(db.execute("SELECT doc_id, sha256 FROM documents"))
        chunks = sorted(db.execute("SELECT chunk_id FROM chunks"))
        pending = sorted(db.execute("SELECT chunk_id FROM pending"))
    with sqlite3.connect(store / "chroma" / "chroma.sqlite3") as db:
        vectors = sorted(db.execute("SELECT embedding_id FROM embeddings"))
    return docs, chunks, pending, vectors


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The sample corpus indexed by `qa index`, with the run's output and `qa docs --json`."""
    root = tmp_path_factory.mktemp("cli")
    store = root / "store"

    def run(*args, **env):
        return run_qa(*args, store=store, cwd=root, **env)

    indexed = json.loads(ok(run("index", str(SAMPLE_CORPUS), "--json")))
    docs = json.loads(ok(run("docs", "--json")))
    return {"run": run, "root": root, "store": store, "indexed": indexed, "docs": docs}


def test_index_reports_every_document(cli):
    results = cli["indexed"]["documents"]
    assert [r["status"] for r in results] == ["added", "added"]
    assert all(r["chunks"] > 0 for r in results)
    assert cli["indexed"]["failed"] == [] and cli["indexed"]["skipped"] == []


def test_docs_lists_documents_with_chunk_counts(cli):
    docs = cli["docs"]
    assert sorted(d["source"] for d in docs) == sorted(p.name for p in SAMPLE_CORPUS.glob("*.txt"))
    counts = {r["doc_id"]: r["chunks"] for r in cli["indexed"]["documents"]}
    assert {d["doc_id"]: d["chunks"] for d in docs} == counts
    assert {d["author"].split(",")[0] for d in docs} == {
        "Sokvy Rim",
        "Dr Gabriela Bernal",
    }
    human = ok(cli["run"]("docs"))
    for d in docs:
        assert d["doc_id"] in human and d["title"] in human


def test_ask_prints_the_answer_with_its_sources(cli):
    out = ok(cli["run"]("ask", QUESTION))
    answer, _, sources = out.partition("Sources:")
    assert "vetoed the extension of a UN panel" in answer
    assert "[1]" in answer
    assert "004_a5707477a1615087.txt" in sources
    assert "The Putin–Kim mutual assistance treaty" in sources
    assert "characters" in sources


def test_ask_json_citations_point_into_the_source_files(cli):
    answer = json.loads(ok(cli["run"]("ask", QUESTION, "--json", "--top-k", "3")))
    assert answer["question"] == QUESTION
    assert not answer["abstained"] and answer["citations"]
    assert len(answer["passages"]) == 3
    docs = {d["doc_id"]: d for d in cli["docs"]}
    texts = {
        doc_id: normalize_text((SAMPLE_CORPUS / d["source"]).read_text(encoding="utf-8"))
        for doc_id, d in docs.items()
    }
    passages = {p["chunk_id"]: p for p in answer["passages"]}
    for p in answer["passages"]:
        assert texts[p["doc_id"]][p["start"] : p["end"]] == p["text"]
    for c in answer["citations"]:
        assert c["source"] == docs[c["doc_id"]]["source"]
        assert texts[c["doc_id"]][c["start"] : c["end"]] == c["quote"]
        assert c["quote"] in passages[c["chunk_id"]]["text"]
        assert answer["passages"][c["marker"] - 1]["chunk_id"] == c["chunk_id"]
        assert f"[{c['marker']}]" in answer["text"]
    assert answer["backend"] == "extractive"


def test_remove_deletes_a_document(cli, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli["store"], store)
    doc = cli["docs"][0]
    removed = json.loads(ok(run_qa("remove", doc["doc_id"], "--json", store=store, cwd=tmp_path)))
    assert removed == {"doc_id": doc["doc_id"], "chunks_removed": doc["chunks"]}
    left = json.loads(ok(run_qa("docs", "--json", store=store, cwd=tmp_path)))
    assert [d["doc_id"] for d in left] == [d["doc_id"] for d in cli["docs"][1:]]
    docs, chunks, pending, vectors = index_state(store)
    assert [d for d, _ in docs] == [d["doc_id"] for d in left]
    assert chunks == vectors and pending == []
    assert len(chunks) == cli["docs"][1]["chunks"]
    again = run_qa("remove", doc["doc_id"], store=store, cwd=tmp_path)
    fails_cleanly(again, doc["doc_id"])


def test_config_shows_effective_settings(cli):
    data = json.loads(ok(cli["run"]("config", "--json", QA_RETRIEVAL__TOP_K="7")))
    assert data["retrieval"]["top_k"] == 7
    assert Path(data["store"]["path"]) == cli["store"]
    assert data["llm"]["provider"] == "extractive"
    assert set(data) >= {"embeddings", "store", "index", "retrieval", "answer", "llm"}
    human = ok(cli["run"]("config"))
    assert "QA_RETRIEVAL__TOP_K=5" in human


def test_calibrate_fits_a_cut_that_changes_which_questions_are_answered(cli, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(cli["store"], store)  # the module's store keeps its defaults

    def run(*args, **env):
        return run_qa(*args, store=store, cwd=cli["root"], **env)

    first = json.loads(ok(run("calibrate", "--set", str(SAMPLE_SET), "--json")))
    assert first["written"] is None and not list(store.glob("calibration-*"))
    guarded = json.loads(ok(run("calibrate", "--set", str(SAMPLE_SET), "--write", "--json")))
    holds = guarded["held_out"]["balanced_accuracy"] > guarded["current"]["balanced_accuracy"]
    assert bool(guarded["written"]) == holds == (not guarded["not_written"])
    assert bool(list(store.glob("calibration-*"))) == holds
    fit = json.loads(ok(run("calibrate", "--set", str(SAMPLE_SET), "--write", "--force", "--json")))
    assert fit["written"]
    assert fit["setting"] == "answer.min_support" and fit["answerable"] >= 5
    assert fit["fitted"]["balanced_accuracy"] >= fit["current"]["balanced_accuracy"]
    cut, default = fit["fitted"]["cut"], fit["current"]["cut"]
    assert cut != default, "the sample set's best cut is not the shipped default"
    config = json.loads(ok(run("config", "--json")))
    assert config["answer"]["min_support"] == cut
    # a question between the two cuts is answered under one and refused under the other
    plain = {i["user_input"] for i in map(json.loads, SAMPLE_SET.open()) if not i["history"]}
    between = [
        r["question"]
        for r in fit["rows"]
        if min(cut, default) <= r["signal"] < max(cut, default) and r["question"] in plain
    ]
    assert between, fit["rows"]
    calibrated = json.loads(ok(run("ask", between[0], "--json")))
    shipped = json.loads(ok(run("ask", between[0], "--json", QA_ANSWER__CALIBRATED="false")))
    assert calibrated["abstained"] == (cut > default)
    assert shipped["abstained"] == (cut < default)
    (store / f"calibration-{config['store']['collection']}.json").write_text("{oops")
    fails_cleanly(run("ask", between[0]), "calibration")


def test_calibrate_needs_both_kinds_of_question(cli, tmp_path):
    one_kind = tmp_path / "set.jsonl"
    one_kind.write_text(json.dumps({"user_input": QUESTION, "kind": "single_fact"}) + "\n")
    fails_cleanly(cli["run"]("calibrate", "--set", str(one_kind)), "unanswerable")
    fails_cleanly(cli["run"]("calibrate", "--set", str(tmp_path / "none.jsonl")), "no such")
    learned = cli["run"]("calibrate", "--set", str(SAMPLE_SET), QA_ANSWER__SUPPORT="learned")
    fails_cleanly(learned, "SUPPORT=score")


def test_invalid_setting_fails_cleanly(cli):
    fails_cleanly(cli["run"]("config", QA_RETRIEVAL__TOP_K="0"), "retrieval.top_k")


BAD_ASKS = {
    "empty question": ("", "empty"),
    "blank question": ("   ", "empty"),
    "10,000-character question": (("why " * 2500)[:-1] + "?", "10000 characters"),
}


@pytest.mark.parametrize("case", sorted(BAD_ASKS))
def test_bad_question_fails_cleanly_and_changes_nothing(cli, case):
    question, fragment = BAD_ASKS[case]
    before = index_state(cli["store"])
    fails_cleanly(cli["run"]("ask", question), fragment)
    assert index_state(cli["store"]) == before


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_fails_cleanly_and_changes_nothing(cli, tmp_path, name):
    path = write_bad_file(tmp_path, name)
    before = index_state(cli["store"])
    fails_cleanly(cli["run"]("index", str(path)), name, BAD_FILES[name][1])
    assert index_state(cli["store"]) == before


def test_missing_path_fails_cleanly_and_changes_nothing(cli, tmp_path):
    missing = tmp_path / "no" / "such.txt"
    before = index_state(cli["store"])
    fails_cleanly(cli["run"]("index", str(SAMPLE_CORPUS), str(missing)), str(missing))
    assert index_state(cli["store"]) == before


@pytest.mark.parametrize(
    "args",
    [("ask", QUESTION), ("index", str(SAMPLE_CORPUS)), ("docs",)],
    ids=["ask", "index", "docs"],
)
def test_chroma_server_down_fails_cleanly(cli, args):
    before = index_state(cli["store"])
    url = f"http://127.0.0.1:{free_port()}"
    fails_cleanly(cli["run"](*args, QA_STORE__URL=url), "Chroma", url)
    assert index_state(cli["store"]) == before


def test_index_is_unchanged_after_the_bad_inputs(cli):
    # Runs after the failures above (file order); `qa docs --json` agrees with the first run.
    assert json.loads(ok(cli["run"]("docs", "--json"))) == cli["docs"]
