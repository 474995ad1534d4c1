"""Questions under load while a 1 MB upload is indexed, against the same load without one.

    python -m eval.bench.upload_load [--clients 16] [--seconds 30] [--upload-mb 1] [--out FILE]


One run: index the sample corpus into a temporary store; start `qa serve` (real uvicorn) in
a new process on loopback; then three phases, each with `--clients` closed-loop clients
sending POST /ask with the sample questions (each sends its next question when its last is
answered):
  1. quiet: `--seconds` with no upload;
  2. upload: POST /documents with one `--upload-mb` text file (SQuAD 2.0 dev articles from
     --articles, by default ../shared/bench/..., else generated prose), until it is indexed: the job
     polled to its end when the server answers 202, the request's own end when it answers
     201 (the server before uploads became jobs);
  3. quiet again, so a change of machine load during the run shows.
The ratio compares p95 during the upload with p95 of both quiet phases together; the target
is <= 2x with 0 errors. Prints JSON (and writes it to --out).
"""

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from eval.bench.http import free_port, start_server
from eval.bench.latency import QUESTIONS
from eval.bench.timing import emit, summarize_ms
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from qa.settings import Settings

SQUAD_ARTICLES = Path("../shared/bench/squad-v2-dev/articles.jsonl")
UPLOAD_STAGE = {"now": "none"}  # the uploaded file's state as last polled


def upload_text(megabytes: float, articles: Path) -> tuple[bytes, str]:
    """About `megabytes` of prose, and where it came from."""
    size = int(megabytes * 1e6)
    pieces: list[str] = []
    total = 0
    source = "generated"
    if articles.is_file():
        source = str(articles)
        for line in articles.read_text(encoding="utf-8").splitlines():
            article = json.loads(line)
            pieces.append(f"{article['title']}\n\n{article['text']}\n\n")
            total += len(pieces[-1].encode())
            if total >= size:
                break
    words = "harbour lantern ledger ferry granary orchard signal quarry canal".split()
    i = 0
    while total < size:  # generated prose tops up (or replaces) the articles
        piece = (
            f"In {1800 + i % 200} the {words[i % 9]} of district {i % 97} was counted again "
            f"and the clerk recorded {i * 7 % 1000} {words[(i * 4) % 9]}s in good order. "
        )
        pieces.append(piece)
        total += len(piece)
        i += 1
    return "".join(pieces).encode()[:size], source


async def ask_until(client: httpx.AsyncClient, stop: asyncio.Event, results: dict) -> None:
    """One closed-loop client: ask, record, repeat until `stop` is set."""
    n = 0
    while not stop.is_set():
        question = QUESTIONS[n % len(QUESTIONS)]
        n += 1
        began = time.perf_counter()
        stage = UPLOAD_STAGE["now"]
        try:
            response = await client.post("/ask", json={"question": question})
            ok = response.status_code == 200
        except httpx.HTTPError:
            ok = False
        results["ms"].append((time.perf_counter() - began) * 1000)
        results["errors"] += not ok
        if results["ms"][-1] > 1000:  # where the upload was when a slow question began
            slow = results.setdefault("over_1s_by_upload_stage", {})
            slow[stage] = slow.get(stage, 0) + 1


async def phase(client: httpx.AsyncClient, clients: int, until) -> dict:
    """Run `clients` askers until the coroutine `until()` returns; their latencies."""
    results: dict = {"ms": [], "errors": 0}
    stop = asyncio.Event()
    askers = [asyncio.create_task(ask_until(client, stop, results)) for _ in range(clients)]
    began = time.perf_counter()
    extra = await until()
    stop.set()
    await asyncio.gather(*askers)
    elapsed = time.perf_counter() - began
    return {
        "over_1s_by_upload_stage": results.get("over_1s_by_upload_stage", {}),
        **summarize_ms(results["ms"]),
        "max_ms": round(max(results["ms"], default=0), 1),
        "over_5s": sum(ms > 5000 for ms in results["ms"]),
        "errors": results["errors"],
        "requests_per_s": round(len(results["ms"]) / elapsed, 2),
        "seconds": round(elapsed, 1),
        "load_average_1m_after": round(os.getloadavg()[0], 2),
        **(extra or {}),
        "_ms": results["ms"],
    }


async def upload_and_wait(base_url: str, data: bytes) -> dict:
    """POST the file; follow the job (202) or wait for the answer (201); what it reported."""
    async with httpx.AsyncClient(base_url=base_url, timeout=3600) as uploader:
        began = time.perf_counter()
        files = [("files", ("load-test.txt", data, "text/plain"))]
        response = await uploader.post("/documents", files=files)
        if response.status_code == 201:
            (result,) = response.json()["documents"]
            return {
                "upload_status": 201,
                "upload_s": round(time.perf_counter() - began, 1),
                "chunks": result["chunks"],
            }
        if response.status_code != 202:
            raise RuntimeError(f"upload refused: {response.status_code} {response.text}")
        accepted_s = time.perf_counter() - began
        location = response.headers["location"]
        while True:
            job = (await uploader.get(location)).json()
            UPLOAD_STAGE["now"] = job["files"][0]["state"]
            if job["state"] in ("done", "failed"):
                break
            await asyncio.sleep(0.2)
        UPLOAD_STAGE["now"] = "none"
        if job["state"] != "done":
            raise RuntimeError(f"the upload job failed: {job['error']}")
        return {
            "upload_status": 202,
            "upload_accepted_ms": round(accepted_s * 1000, 1),
            "upload_s": round(time.perf_counter() - began, 1),
            "chunks": job["files"][0]["result"]["chunks"],
        }


async def measure(base_url: str, clients: int, seconds: float, data: bytes) -> dict:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=600, limits=limits) as client:
        for question in QUESTIONS:  # warm the server and the connections
            (await client.post("/ask", json={"question": question})).raise_for_status()

        async def quiet() -> None:
            await asyncio.sleep(seconds)

        before = await phase(client, clients, quiet)
        during = await phase(client, clients, lambda: upload_and_wait(base_url, data))
        after = await phase(client, clients, quiet)
    quiet_ms = before.pop("_ms") + after.pop("_ms")
    during.pop("_ms")
    without = {
        **summarize_ms(quiet_ms),
        "max_ms": max(before["max_ms"], after["max_ms"]),
        "over_5s": before["over_5s"] + after["over_5s"],
        "errors": before["errors"] + after["errors"],
    }
    return {
        "without_upload": without,
        "during_upload": during,
        "quiet_before": before,
        "quiet_after": after,
        "p95_ratio_during_vs_without": round(during["p95_ms"] / without["p95_ms"], 2),
        "p50_ratio_during_vs_without": round(during["p50_ms"] / without["p50_ms"], 2),
        "errors": without["errors"] + during["errors"],
    }


def run(clients: int, seconds: float, megabytes: float, articles: Path) -> dict:
    data, source = upload_text(megabytes, articles)
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store"
        pipeline = build_pipeline(Settings(_env_file=None, store={"path": store}))
        index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
        pipeline.close()
        result: dict = {
            "clients": clients,
            "quiet_seconds": seconds,
            "upload_bytes": len(data),
            "upload_text": source,
            "cpus": os.cpu_count(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        }
        port = free_port()
        process, _ = start_server(store, port)
        try:
            result.update(asyncio.run(measure(f"http://127.0.0.1:{port}", clients, seconds, data)))
        finally:
            process.terminate()
            process.wait(timeout=30)
        result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent /ask clients")
    parser.add_argument("--seconds", type=float, default=30, help="length of each quiet phase")
    parser.add_argument("--upload-mb", type=float, default=1.0, help="size of the uploaded file")
    parser.add_argument(
        "--articles", type=Path, default=SQUAD_ARTICLES, help="JSONL of {title, text} to upload"
    )
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    result = run(args.clients, args.seconds, args.upload_mb, args.articles)
    emit(result, as_json=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
