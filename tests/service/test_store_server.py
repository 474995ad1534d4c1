"""Against a real `chroma run`: ready while it answers, 503 with JSON once it is gone."""

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from service import create_app
from tests.conftest import free_port, make_settings, wait_for_http
from tests.service.conftest import serve

pytestmark = pytest.mark.server


def test_ready_while_chroma_answers_then_503_when_it_stops(tmp_path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    assert chroma, "the `chroma` command (from the chromadb package) is not installed"
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/api/v2/heartbeat")
        settings = make_settings(
            tmp_path / "store", store={"url": f"http://127.0.0.1:{port}", "timeout_s": 2}
        )
        with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=60) as c:
            assert c.get("/readyz").status_code == 200
            upload = [("files", ("kiwi.txt", b"The kiwi is a flightless bird from New Zealand."))]
            assert c.post("/documents?wait=true", files=upload).status_code == 201
            answer = c.post("/ask", json={"question": "Where is the kiwi bird from?"}).json()
            assert "New Zealand" in answer["text"]

            process.terminate()
            process.wait(timeout=30)
            for response in (
                c.get("/readyz"),
                c.post("/ask", json={"question": "Where is the kiwi bird from?"}),
            ):
                assert response.status_code == 503, response.text
                assert response.json()["error"]["code"] == "store_unavailable"
            assert c.get("/healthz").status_code == 200
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
