"""`qa serve` as `make run` uses it: index the sample corpus, serve, answer, stop cleanly."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from index.ingest import SAMPLE_CORPUS
from tests.conftest import free_port, wait_for_http

pytestmark = pytest.mark.cli


def test_index_then_serve_then_chat(tmp_path):
    qa = shutil.which("qa", path=str(Path(sys.executable).parent)) or "qa"
    env = {**os.environ, "QA_STORE__PATH": str(tmp_path / "store")}
    for _ in range(2):  # the second run finds everything indexed and changes nothing
        indexed = subprocess.run(
            [qa, "index", str(SAMPLE_CORPUS)], env=env, capture_output=True, text=True, timeout=300
        )
        assert indexed.returncode == 0, indexed.stderr
    assert indexed.stdout.count("unchanged") == 2

    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [qa, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/readyz", timeout=180)
        with httpx.Client(base_url=url, timeout=60) as client:
            assert "<title>groundedqa</title>" in client.get("/").text
            answer = client.post("/ask", json={"question": "What did Russia veto in March?"})
            assert answer.status_code == 200 and answer.json()["citations"]
    finally:
        server.send_signal(signal.SIGINT)
        status = server.wait(timeout=30)
        log.close()
    assert status == 0, (tmp_path / "serve.log").read_text()
