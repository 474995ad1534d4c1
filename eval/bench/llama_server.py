"""llama-cpp-python's OpenAI-compatible server as a child process on a loopback port.

The real "hosted" endpoint for benchmarks and tests: nothing is faked.
"""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """`python -m llama_cpp.server` serving `gguf` as the model "smollm2"; `url` ends in /v1."""

    def __init__(self, gguf: Path, log: Path | None = None, threads: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._log = log.open("wb") if log else None
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--model_alias",
                "smollm2",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--n_threads",
                str(threads),
                "--n_ctx",
                "2048",
            ],
            stdout=self._log or subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        self._wait(timeout=120)

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"the llama.cpp server did not answer at {self.url}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self._log:
            self._log.close()
