"""Safe by default: `qa serve` will not offer open writes beyond this machine."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.errors import ConfigError
from qa.settings import ServiceSettings
from service.guard import check_exposure, is_loopback
from tests.conftest import free_port, wait_for_http

LOOPBACK = ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"]
EXPOSED = ["0.0.0.0", "::", "192.168.1.20", "10.0.0.5", "example.org", "my-host"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_addresses_are_served_without_a_key(host):
    assert is_loopback(host)
    check_exposure(host, ServiceSettings())


@pytest.mark.parametrize("host", EXPOSED)
def test_other_addresses_need_a_key_or_an_explicit_open(host):
    assert not is_loopback(host)
    with pytest.raises(ConfigError) as refused:
        check_exposure(host, ServiceSettings())
    assert "QA_SERVICE__API_KEY" in refused.value.message
    assert "QA_SERVICE__OPEN=true" in refused.value.message
    check_exposure(host, ServiceSettings(api_key="s3cret-key"))
    check_exposure(host, ServiceSettings(open=True))
    with pytest.raises(ConfigError):  # an empty key is no key
        check_exposure(host, ServiceSettings(api_key="  "))


def test_the_default_address_is_loopback():
    assert is_loopback(ServiceSettings().host)


def qa_serve(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """`qa serve` in tmp_path (no .env there), with only the QA_ variables given."""
    qa = shutil.which("qa", path=str(Path(sys.executable).parent)) or "qa"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    return subprocess.Popen(
        [qa, "serve", *args],
        cwd=tmp_path,
        env={**clean, "QA_STORE__PATH": str(tmp_path / "store"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.cli
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--host", "0.0.0.0"], {}),
        ([], {"QA_SERVICE__HOST": "0.0.0.0"}),
        (["--host", "0.0.0.0"], {"QA_SERVICE__API_KEY": "", "QA_SERVICE__OPEN": "false"}),
    ],
)
def test_serve_refuses_an_open_public_address_at_once(tmp_path, args, env):
    began = time.monotonic()
    server = qa_serve(tmp_path, *args, "--port", str(free_port()), **env)
    try:
        out, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode == 1, out + err
    assert err.startswith("error: refusing to serve on 0.0.0.0 without an API key"), err
    assert "QA_SERVICE__API_KEY" in err and "Traceback" not in err
    assert time.monotonic() - began < 30, "refused before loading the model"
    assert not (tmp_path / "store").exists(), "nothing was opened or written"


@pytest.mark.cli
@pytest.mark.parametrize(
    "env", [{"QA_SERVICE__API_KEY": "s3cret-key"}, {"QA_SERVICE__OPEN": "true"}]
)
def test_serve_starts_on_a_public_address_with_a_key_or_when_told_it_is_open(tmp_path, env):
    port = free_port()
    server = qa_serve(tmp_path, "--host", "0.0.0.0", "--port", str(port), **env)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=180)
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 0, err


@pytest.mark.cli
def test_serve_refuses_a_broken_calibration_file_in_one_line(tmp_path):
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "calibration-qa_chunks.json").write_text('{"cuts": {"extractive": 2}}')
    server = qa_serve(tmp_path, "--port", str(free_port()))
    try:
        out, err = server.communicate(timeout=60)
    finally:
        server.kill()
    assert server.returncode == 1, out + err
    assert err.startswith("error: calibration file"), err
    assert "Traceback" not in err and "qa calibrate" in err
