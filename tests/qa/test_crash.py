"""kill -9 in the middle of a write: nothing half-indexed is ever visible, the next start
finishes the write's bookkeeping, and indexing again ends where a clean run ends.

A subprocess indexes for real and is killed at a chosen step of Pipeline.add_document (the
test wraps that step, in the subprocess only), or `qa index` is killed at a seeded moment.
"""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.ingest import index_documents, plan_paths
from tests.conftest import PipelineFactory
from tests.crash_checks import (
    CRASH_FILES,
    QA,
    ROOT,
    StoreState,
    check_after_kill,
    check_recovered,
    check_same_as_clean,
    check_unrecovered,
    check_whole_documents,
    child_env,
    indexed_documents,
    read_state,
    write_corpus,
)

pytestmark = pytest.mark.cli

# Indexes every file but the last GROUP, then makes `KILL_AT` (a method of the store or the
# catalog) kill the process as soon as it returns, and indexes the last GROUP files in one call.
KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from index.ingest import index_documents, plan_paths
from qa.catalog import Catalog
from qa.pipeline import build_pipeline
from qa.store import ChunkStore
from tests.conftest import make_settings

store, kill_at, group, *files = sys.argv[1:]
group = int(group)
pipeline = build_pipeline(make_settings(Path(store)))
documents = plan_paths([Path(f) for f in files], 10**8).documents
index_documents(pipeline, documents[:-group])
owner = {"upsert": ChunkStore, "delete": ChunkStore, "replace_document": Catalog}[kill_at]
real = getattr(owner, kill_at)

def then_die(*args, **kwargs):
    real(*args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

setattr(owner, kill_at, then_die)
index_documents(pipeline, documents[-group:])
sys.exit("the kill point was never reached")
"""

LIGHTHOUSE = [
    "The Orvell lighthouse stands on a granite spur north of the harbour.",
    "Its keeper, Ida Marsh, repaired the great lens in the winter of 1911.",
    "The lens was ground in Paris and shipped in forty wooden crates.",
    "Every night the lamp turned once in twelve seconds.",
    "Fishermen said the beam could be seen from the Skerry banks.",
    "In 1935 the oil lamp gave way to an electric bulb.",
    "The keeper's cottage now holds a small museum of maritime charts.",
    "Visitors climb one hundred and four steps to reach the gallery.",
]
QUESTION = "Who repaired the lens of the Orvell lighthouse?"


def lighthouse_text(version: int) -> str:
    """Several chunks; version 2 keeps the first paragraph and rewrites the rest."""
    paragraphs = []
    for number in range(12):
        if version == 2 and number > 0:
            lines = [f"{s[:-1]}, as the second survey recorded." for s in LIGHTHOUSE]
        else:
            lines = LIGHTHOUSE
        paragraphs.append(" ".join(lines) + f" (Part {number}.)")
    return "Orvell lighthouse\n\n" + "\n\n".join(paragraphs) + "\n"


def write_files(tmp_path: Path) -> dict[str, Path]:
    base = write_corpus(tmp_path / "base", 1)[0]
    files = {"base": base}
    for version in (1, 2):
        files[f"v{version}"] = tmp_path / f"v{version}" / "lighthouse.txt"
        files[f"v{version}"].parent.mkdir()
        files[f"v{version}"].write_text(lighthouse_text(version), "utf-8")
    return files


def kill_during_write(store: Path, kill_at: str, files: list[Path], group: int = 1) -> None:
    script = [sys.executable, "-c", KILL_SCRIPT, str(store), kill_at, str(group), *map(str, files)]
    done = subprocess.run(
        script,
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def clean_state(pipeline_factory: PipelineFactory, name: str, files: list[Path]) -> StoreState:
    """What a store holds after indexing `files` without interruption."""
    pipeline = pipeline_factory(name)
    index_documents(pipeline, plan_paths(files, 10**8).documents)
    return read_state(pipeline.settings.store.path)


# (kill after, earlier files, file being written, what the next start must show)
CASES = {
    "chroma-written-new-document": ("upsert", ["base"], "v1", "before"),
    "chroma-written-replacement": ("upsert", ["base", "v1"], "v2", "before"),
    "catalog-committed": ("replace_document", ["base", "v1"], "v2", "after"),
    "stale-chunks-deleted": ("delete", ["base", "v1"], "v2", "after"),
}


@pytest.mark.parametrize("case", CASES)
def test_kill_inside_add_document(
    case: str, tmp_path: Path, pipeline_factory: PipelineFactory
) -> None:
    kill_at, earlier, written, outcome = CASES[case]
    files = write_files(tmp_path)
    paths = [files[name] for name in [*earlier, written]]
    store = tmp_path / "store"
    kill_during_write(store, kill_at, paths)

    before = clean_state(pipeline_factory, "clean-before", paths[:-1])
    after = clean_state(pipeline_factory, "clean-after", [files["base"], files[written]])
    doc_id = plan_paths([files[written]], 10**8).documents[0].doc_id

    # The kill left work for the start-up recovery, and nothing unaccounted for.
    killed = read_state(store)
    check_unrecovered(killed)
    if kill_at == "upsert":
        assert killed.chroma - killed.catalog, "the new chunks should be in Chroma only"
        assert killed.by_doc == before.by_doc
    elif kill_at == "replace_document":
        assert killed.by_doc == after.by_doc
        assert killed.pending == before.by_doc[doc_id] - after.by_doc[doc_id] != set()
        assert killed.pending <= killed.chroma
    else:
        assert killed.by_doc == after.by_doc
        assert killed.pending and not killed.pending & killed.chroma

    pipeline = pipeline_factory("store")  # the next start: recovery runs here
    state = read_state(store)
    check_recovered(state)
    expected = before if outcome == "before" else after
    assert state.by_doc == expected.by_doc and state.chroma == expected.chroma
    assert {d.doc_id for d in pipeline.documents()} == set(expected.by_doc)
    passages = pipeline.ask(QUESTION, top_k=20).passages
    assert {p.chunk_id for p in passages} <= expected.chroma
    if doc_id not in expected.by_doc:
        assert all(p.doc_id != doc_id for p in passages)

    # Writing the same file again ends exactly where a clean run ends.
    index_documents(pipeline, plan_paths([files[written]], 10**8).documents)
    state = read_state(store)
    check_recovered(state)
    assert state.by_doc == after.by_doc and state.chroma == after.chroma
    assert any(p.doc_id == doc_id for p in pipeline.ask(QUESTION, top_k=20).passages)


@pytest.mark.parametrize("kill_at", ["upsert", "replace_document"])
def test_kill_inside_a_write_of_several_documents(
    kill_at: str, tmp_path: Path, pipeline_factory: PipelineFactory
) -> None:
    """Small documents share one Chroma upsert; each still commits whole or not at all."""
    files = write_corpus(tmp_path / "corpus", 4)
    store = tmp_path / "store"
    kill_during_write(store, kill_at, files, group=len(files))
    clean = clean_state(pipeline_factory, "clean", files)

    killed = read_state(store)
    check_unrecovered(killed)
    check_whole_documents(killed, clean)
    # One upsert held every document's chunks before any catalog commit.
    assert killed.chroma == clean.chroma
    committed = 0 if kill_at == "upsert" else 1
    assert len(killed.by_doc) == committed
    assert killed.pending == clean.chroma - killed.catalog

    pipeline_factory("store")  # the next start: recovery runs here
    state = read_state(store)
    check_recovered(state)
    check_whole_documents(state, clean)
    assert len(state.by_doc) == committed


def run_qa_index_until_killed(corpus: Path, store: Path, rng: random.Random) -> bool:
    """`qa index` killed once the catalog has grown by a random number of documents, plus a
    random fraction of a second; False when it finished first."""
    start = indexed_documents(store)
    target = start + rng.randrange(0, max(1, CRASH_FILES - start - 5))
    delay = rng.uniform(0, 0.5)
    process = subprocess.Popen(
        [str(QA), "index", str(corpus)],
        cwd=corpus.parent,
        env=child_env(QA_STORE__PATH=str(store)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while process.poll() is None and indexed_documents(store) < target:
            assert time.monotonic() < deadline, "qa index made no progress"
            time.sleep(0.02)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    finally:
        status = process.wait(timeout=60)
    if status != -signal.SIGKILL:
        assert status == 0
    return status == -signal.SIGKILL


def test_qa_index_killed_at_random_moments(
    tmp_path: Path, crash_corpus: tuple[Path, StoreState]
) -> None:
    corpus, clean = crash_corpus
    store = tmp_path / "crashed"
    kills = 0
    for seed in (11, 12):
        kills += run_qa_index_until_killed(corpus, store, random.Random(seed))
        check_after_kill(store, clean)
    assert kills, "a run should have been killed part-way"

    finished = subprocess.run(
        [str(QA), "index", str(corpus)],
        cwd=tmp_path,
        env=child_env(QA_STORE__PATH=str(store)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stderr
    check_same_as_clean(store, clean)
