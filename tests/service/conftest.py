"""Service fixtures: the real app over a real store, served by a real uvicorn on loopback."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from qa.settings import Settings
from service import create_app
from tests.conftest import free_port, make_settings

API_KEY = "test-key-1f2e3d"
FOLLOW_UP_FIRST = "What does Gabriela Bernal say about the mutual assistance provision?"


def index_sample(settings: Settings) -> None:
    """Index the sample corpus into the store `settings` names, then let it go."""
    pipeline = build_pipeline(settings)
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    pipeline.close()


def wait_until_warm(url: str, deadline: float) -> None:
    """Wait while /readyz says not_ready (a store that is down is another answer: return)."""
    while True:
        response = httpx.get(f"{url}/readyz", timeout=30)
        if response.status_code != 503 or response.json()["error"]["code"] != "not_ready":
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not warm up")
        time.sleep(0.05)


@contextmanager
def serve(app: FastAPI, warm: bool = True) -> Iterator[str]:
    """Run `app` under uvicorn in a thread on a free loopback port; yields its base URL.

    With `warm`, waits until /readyz no longer says not_ready.
    """
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    if warm:
        wait_until_warm(url, deadline)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The sample corpus in a store of its own; tests against it must not change it."""
    settings = make_settings(tmp_path_factory.mktemp("service-sample") / "store")
    index_sample(settings)
    return settings


@pytest.fixture(scope="session")
def live_url(sample_settings: Settings) -> Iterator[str]:
    """A real uvicorn serving the sample corpus, no API key."""
    with serve(create_app(sample_settings)) as url:
        yield url


@pytest.fixture(scope="session")
def client(live_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_url, timeout=60) as c:
        yield c


def writable_settings(store: Path) -> Settings:
    """Small limits and an API key, so every limit can be crossed cheaply."""
    return make_settings(
        store,
        service={
            "api_key": API_KEY,
            "max_upload_mb": 1,
            "max_upload_files": 3,
            "max_request_kb": 64,
        },
        index={"max_file_mb": 0.5},
    )


@pytest.fixture(scope="module")
def writable_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server of this module's own over the sample corpus, which its tests may change."""
    settings = writable_settings(tmp_path_factory.mktemp("service-writable") / "store")
    index_sample(settings)
    with serve(create_app(settings)) as url:
        yield url


@pytest.fixture
def writer(writable_url: str) -> Iterator[httpx.Client]:
    """A client of the writable server that sends the API key."""
    with httpx.Client(base_url=writable_url, timeout=120, headers={"X-API-Key": API_KEY}) as c:
        yield c


def read_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a Server-Sent Events body, checking the framing as it goes."""
    events = []
    for block in response.text.split("\n\n"):
        if not block:
            continue
        lines = block.split("\n")
        assert len(lines) == 2, f"each event is one event line and one data line: {block!r}"
        assert lines[0].startswith("event: ") and lines[1].startswith("data: "), block
        events.append((lines[0].removeprefix("event: "), lines[1].removeprefix("data: ")))
    assert response.text.endswith("\n\n")
    return events
