"""HTTP /ask latency against in-process `ask` on the sample corpus, and time to /readyz.

    python -m eval.bench.http [--rounds 5] [--concurrency 8]     (prints JSON)

One run: index the sample corpus into a temporary store and keep a pipeline open on it; start
`qa serve` (real uvicorn) in a new process on a copy of the store and time from process start
to the first 200 from /readyz; ask each question in process and then over HTTP, alternately
(concurrency 1, paired, so both see the same load from the rest of the machine); then send
the same questions to POST /ask from 8 concurrent clients (a bounded closed loop: each worker
sends its next request when its last one is answered).
"""

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import httpx

from eval.bench.latency import QUESTIONS
from eval.bench.timing import emit, summarize_ms
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings


def index_sample(store: Path) -> Pipeline:
    """A pipeline over a new store holding the sample corpus, warmed on the questions."""
    pipeline = build_pipeline(Settings(_env_file=None, store={"path": store}))
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    for question in QUESTIONS:
        pipeline.ask(question)
    return pipeline


def paired(pipeline: Pipeline, base_url: str, rounds: int) -> dict:
    """Each question in process, then over HTTP, one after the other, so both see the
    same machine load; latencies of each and the per-pair HTTP overhead."""
    local, remote, pair_gap, outside = [], [], [], []
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for question in QUESTIONS:  # warm the connection and the server
            client.post("/ask", json={"question": question}).raise_for_status()
        for _ in range(rounds):
            for question in QUESTIONS:
                began = time.perf_counter()
                pipeline.ask(question)
                local.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                response = client.post("/ask", json={"question": question})
                remote.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
                pair_gap.append(remote[-1] - local[-1])
                outside.append(remote[-1] - response.json()["timings_ms"]["total_ms"])
    return {
        "in_process_ask": summarize_ms(local),
        "http_ask_concurrency_1": summarize_ms(remote),
        # HTTP minus in-process for the same question, asked one right after the other.
        "http_minus_in_process_per_pair": summarize_ms(pair_gap),
        # Client-seen latency minus the pipeline's own total_ms for the same request: the
        # cost of HTTP, JSON and the threadpool hop, free of the machine's noise in `ask`.
        "http_outside_pipeline_concurrency_1": summarize_ms(outside),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, port: int) -> tuple[subprocess.Popen, float]:
    """`qa serve` in a new process; returns it and the seconds until /readyz said 200."""
    env = {
        **os.environ,
        "QA_STORE__PATH": str(store),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    command = [sys.executable, "-m", "service.cli", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/readyz"
    while time.perf_counter() - began < 180:
        if process.poll() is not None:
            raise RuntimeError(f"qa serve exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process, time.perf_counter() - began
        except OSError:
            time.sleep(0.02)
    process.kill()
    raise TimeoutError("qa serve was not ready within 180 s")


async def load(base_url: str, concurrency: int, rounds: int) -> dict:
    """`concurrency` workers share rounds x questions requests; latency of each, and rate."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(rounds):
        for question in QUESTIONS:
            queue.put_nowait(question)
    latencies: list[float] = []
    outside: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        for question in QUESTIONS:  # warm the connection pool and the server
            await client.post("/ask", json={"question": question})

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                question = queue.get_nowait()
                began = time.perf_counter()
                response = await client.post("/ask", json={"question": question})
                latencies.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    failures += 1
                    continue
                outside.append(latencies[-1] - response.json()["timings_ms"]["total_ms"])

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {
        **summarize_ms(latencies),
        "requests_per_s": round(len(latencies) / elapsed, 2),
        "failures": failures,
        # Includes waiting for a worker thread and the CPU while other requests run.
        "outside_pipeline": summarize_ms(outside),
    }


def run(rounds: int, concurrency: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = index_sample(Path(tmp) / "local")
        # The server gets a copy: two processes never share one embedded store.
        shutil.copytree(Path(tmp) / "local", Path(tmp) / "served")
        result: dict = {
            "questions": len(QUESTIONS),
            "rounds": rounds,
            "cpus": os.cpu_count(),
            "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        }
        port = free_port()
        process, ready_s = start_server(Path(tmp) / "served", port)
        result["process_start_to_readyz_s"] = round(ready_s, 3)
        base_url = f"http://127.0.0.1:{port}"
        try:
            result.update(paired(pipeline, base_url, rounds))
            result[f"http_ask_concurrency_{concurrency}"] = asyncio.run(
                load(base_url, concurrency, rounds)
            )
        finally:
            pipeline.close()
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions")
    parser.add_argument(
        "--concurrency", type=int, default=8, help="concurrent clients of the load run"
    )
    args = parser.parse_args()
    emit(run(args.rounds, args.concurrency), as_json=True)


if __name__ == "__main__":
    main()
