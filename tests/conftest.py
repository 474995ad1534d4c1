"""Shared fixtures: real model, real Chroma (embedded in a temp dir, or a `chroma run` server)."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.embeddings import Embedder
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import EmbeddingSettings, Settings
from tests.crash_checks import CRASH_FILES, StoreState, read_state, write_corpus

SettingsFactory = Callable[..., Settings]
PipelineFactory = Callable[..., Pipeline]


def make_settings(store_path: Path, **sections: Any) -> Settings:
    """Settings for a test: a private store, defaults elsewhere, overrides per section."""
    store = {"path": store_path, **sections.pop("store", {})}
    return Settings(_env_file=None, store=store, **sections)


@pytest.fixture
def settings_factory(tmp_path: Path) -> SettingsFactory:
    """Build Settings with a fresh store under this test's tmp_path."""
    return lambda **sections: make_settings(tmp_path / "store", **sections)


@pytest.fixture
def pipeline(settings_factory: SettingsFactory) -> Iterator[Pipeline]:
    """An empty pipeline of this test's own."""
    p = build_pipeline(settings_factory())
    yield p
    p.close()


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The packaged model, loaded once per session and lent to the pipelines tests build."""
    return Embedder(EmbeddingSettings())


def lend_embedder(pipeline: Pipeline, embedder: Embedder) -> Pipeline:
    """Give a pipeline the session's model instead of loading its own copy (same model)."""
    pipeline.__dict__["embedder"] = embedder
    return pipeline


@pytest.fixture
def pipeline_factory(tmp_path: Path, embedder: Embedder) -> Iterator[PipelineFactory]:
    """Build private pipelines (each its own store under tmp_path) sharing the session model."""
    built: list[Pipeline] = []

    def build(name: str = "store", **sections: dict) -> Pipeline:
        p = lend_embedder(build_pipeline(make_settings(tmp_path / name, **sections)), embedder)
        built.append(p)
        return p

    yield build
    for p in built:
        p.close()


@pytest.fixture(scope="session")
def sample_pipeline(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> Iterator[Pipeline]:
    """The sample corpus indexed once per session; tests must not change it."""
    settings = make_settings(tmp_path_factory.mktemp("sample") / "store")
    p = lend_embedder(build_pipeline(settings), embedder)
    index_documents(p, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    yield p
    p.close()


@pytest.fixture(scope="session")
def crash_corpus(
    tmp_path_factory: pytest.TempPathFactory, embedder: Embedder
) -> tuple[Path, StoreState]:
    """The crash tests' folder of CRASH_FILES files and what a clean run over it leaves,
    built once per session (both crash tests compare against it); tests must not change it."""
    base = tmp_path_factory.mktemp("crash-corpus")
    write_corpus(base / "corpus", CRASH_FILES)
    p = lend_embedder(build_pipeline(make_settings(base / "clean")), embedder)
    try:
        index_documents(p, plan_paths([base / "corpus"], 10**8).documents)
    finally:
        p.close()
    clean = read_state(base / "clean")
    assert len(clean.by_doc) == CRASH_FILES and len(clean.chroma) > CRASH_FILES
    return base / "corpus", clean


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"nothing answered at {url} within {timeout:.0f} s")


@contextmanager
def run_chroma_server(data: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start `chroma run` on a free loopback port with its data under `data`; stop it after."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("the `chroma` command (from the chromadb package) is not installed")
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "server.log", "wb") as log:
        process = subprocess.Popen(
            [chroma, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(f"{url}/api/v2/heartbeat")
            yield url, process
        finally:
            stop_process(process)


def stop_process(process: subprocess.Popen) -> None:
    """Terminate a child process and wait for it (kill it if it lingers)."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on a loopback port; yields its URL."""
    with run_chroma_server(tmp_path_factory.mktemp("chroma-server")) as (url, _):
        yield url
