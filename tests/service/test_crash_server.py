"""kill -9 of `qa serve` during uploads of a 150-file folder (seeded moments): after a restart
on the same store, every document is there whole or not at all, the catalog and Chroma agree,
nothing is pending, and uploading the folder again ends with the chunks of a clean run."""

import random
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_for_http
from tests.crash_checks import (
    CRASH_FILES,
    QA,
    StoreState,
    check_after_kill,
    check_same_as_clean,
    child_env,
    indexed_documents,
)

pytestmark = pytest.mark.server
API_KEY = "crash-test-key"
PER_UPLOAD = 10  # the most one upload may hold (QA_SERVICE__MAX_UPLOAD_FILES' default)


@contextmanager
def qa_serve(store: Path, log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`qa serve` on a free loopback port over `store`; yields its URL once it is ready."""
    env = child_env(
        QA_STORE__PATH=str(store),
        QA_SERVICE__API_KEY=API_KEY,
        # Every upload of a run at once: a 429 would only slow the test, not test recovery.
        QA_SERVICE__WRITE_BURST=str(CRASH_FILES),
    )
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(QA), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=store.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/readyz", timeout=180)
        yield url, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def upload_all(url: str, files: list[Path]) -> bool:
    """POST the files a few at a time, each upload waited for; True when all were indexed,
    False when the server went away first. Any refused upload fails the test."""
    with httpx.Client(base_url=url, timeout=300, headers={"X-API-Key": API_KEY}) as client:
        for first in range(0, len(files), PER_UPLOAD):
            batch = [
                ("files", (f.name, f.read_bytes(), "text/plain"))
                for f in files[first:][:PER_UPLOAD]
            ]
            try:
                response = client.post("/documents", params={"wait": "true"}, files=batch)
            except httpx.TransportError:
                return False
            assert response.status_code == 201, response.text
    return True


def kill_during_uploads(
    url: str, server: subprocess.Popen, store: Path, files: list[Path], rng: random.Random
) -> None:
    """Upload in a thread; SIGKILL the server once the catalog has grown by a random number
    of documents (at least one), plus a random fraction of a second."""
    start = indexed_documents(store)
    target = start + rng.randrange(1, max(2, CRASH_FILES - start - 2))
    delay = rng.uniform(0, 0.4)
    with ThreadPoolExecutor(1) as pool:
        uploads = pool.submit(upload_all, url, files)
        try:
            deadline = time.monotonic() + 300
            while indexed_documents(store) < target:
                assert not uploads.done(), f"the uploads ended first: {uploads.exception()}"
                assert time.monotonic() < deadline, "the uploads stalled"
                time.sleep(0.02)
            time.sleep(delay)
        finally:  # also when a check failed, so that the uploads end at once
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=60)
        assert uploads.result(timeout=60) is False, "the uploads finished before the kill"


def test_server_killed_during_uploads(
    tmp_path: Path, crash_corpus: tuple[Path, StoreState]
) -> None:
    corpus, clean = crash_corpus
    files = sorted(corpus.iterdir())
    store = tmp_path / "store"
    log = tmp_path / "serve.log"
    recovered = None
    for seed in (21, 22, None):
        with qa_serve(store, log) as (url, server):
            if recovered is not None:  # the restarted server lists exactly the whole documents
                listed = httpx.get(f"{url}/documents", timeout=60).json()["documents"]
                assert {d["doc_id"]: d["chunks"] for d in listed} == {
                    doc_id: len(ids) for doc_id, ids in recovered.by_doc.items()
                }
            if seed is None:  # the finishing run: upload the whole folder again
                assert upload_all(url, files)
                break
            kill_during_uploads(url, server, store, files, random.Random(seed))
        recovered = check_after_kill(store, clean)
        assert recovered.by_doc, "the kill came after some documents were written"
    check_same_as_clean(store, clean)
