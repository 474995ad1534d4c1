"""Scale benchmark: ask latency by stage, the floor, RSS, first answer and disk at N chunks.

python -m eval.bench.scale --chunks N --out DIR [--questions 50]   (reuses DIR's store if it
                                                                   holds N chunks or more)
python -m eval.bench.scale --plot DIR [DIR ...] --out FILE.svg

Builds N synthetic chunks through the project's own splitter, store and catalog: documents
of SQuAD 2.0 dev paragraphs (rotated, recombined), with real MiniLM sentence vectors encoded
once per pool sentence and pooled per chunk, so 100k chunks take minutes. Then a fresh
process measures: time to first answer, `ask` p50/p95 with its stages, the floor (one query
embedding plus one Chroma query) interleaved in the same run, RSS, and disk size.
"""

import argparse
import bisect
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np

from eval.bench.squad import DEFAULT_BENCH_DIR, OUT_DIR
from index.split import split_document
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
from qa.text import split_sentences
from qa.types import Document

PARAGRAPHS_PER_DOCUMENT = 10
FIGURES = ("ask_p50_ms", "ask_p95_ms", "floor_p50_ms", "floor_p95_ms", "rss_mb", "first_answer_s")


def scale_settings(store: Path) -> Settings:
    return Settings(_env_file=None, store={"path": store, "collection": "scale_bench"})


def load_pool(bench_dir: Path) -> list[str]:
    rows = (json.loads(line) for line in (bench_dir / "corpus.jsonl").open())
    return [row["text"] for row in rows]


def encode_pool(pipeline: Pipeline, paragraphs: list[str], cache: Path) -> dict[str, np.ndarray]:
    """A real vector for every pool sentence, encoded once (cached in eval/out)."""
    sentences = sorted({p[a:b] for p in paragraphs for a, b in split_sentences(p)})
    if cache.exists():
        saved = np.load(cache)
        if len(saved) == len(sentences):
            return dict(zip(sentences, saved, strict=True))
    vectors = pipeline.embedder.encode(sentences)
    np.save(cache, vectors)
    return dict(zip(sentences, vectors, strict=True))


Placed = list[tuple[int, str]]  # (start offset, sentence text) of each sentence placed


def synthetic_document(
    number: int, paragraphs: list[str], rng: random.Random
) -> tuple[Document, Placed]:
    """Paragraphs drawn at random, each with its sentences rotated: text no other doc has."""
    text, placed = "", []
    for paragraph in rng.sample(paragraphs, PARAGRAPHS_PER_DOCUMENT):
        spans = split_sentences(paragraph)
        turn = rng.randrange(len(spans))
        text += "\n\n" if text else ""
        for n, (a, b) in enumerate(spans[turn:] + spans[:turn]):
            text += " " if n else ""
            placed.append((len(text), paragraph[a:b]))
            text += paragraph[a:b]
    document = Document(f"scale-{number:06d}", f"Synthetic {number}", f"scale/{number}.txt", text)
    return document, placed


def sentence_vectors(spans: tuple, placed: Placed, vectors: dict[str, np.ndarray]) -> np.ndarray:
    """The real vector of the pool sentence each of the chunk's sentence spans starts in."""
    starts = [start for start, _ in placed]
    rows = [placed[max(0, bisect.bisect_right(starts, a) - 1)][1] for a, _ in spans]
    return np.stack([vectors[sentence] for sentence in rows])


def build(chunks_wanted: int, out: Path, bench_dir: Path) -> dict:
    """Index synthetic documents until the catalog holds at least `chunks_wanted` chunks."""
    pipeline = build_pipeline(scale_settings(out / "store"))
    began, total, number = time.perf_counter(), len(pipeline.catalog.view().chunks), 0
    if total >= chunks_wanted:  # a store built before is reused as it is
        pipeline.close()
        return {"store_reused": True}
    paragraphs = load_pool(bench_dir)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    vectors = encode_pool(pipeline, paragraphs, OUT_DIR / "scale-pool-vectors.npy")
    rng = random.Random(9)
    settings, embedder = pipeline.settings.index, pipeline.embedder
    batch: list[tuple] = []
    while total < chunks_wanted:
        document, placed = synthetic_document(number, paragraphs, rng)
        number += 1
        if document.doc_id in pipeline.catalog.view().documents:
            continue
        chunks = split_document(
            document,
            embedder.count_tokens,
            settings.chunk_tokens,
            settings.overlap_tokens,
            embedder.max_tokens,
        )
        sentences = [sentence_vectors(c.sentences, placed, vectors) for c in chunks]
        chunk_vecs = np.stack([_unit(s.mean(axis=0)) for s in sentences])
        batch.append((document, chunks, chunk_vecs, sentences))
        total += len(chunks)
        if len(batch) >= 200 or total >= chunks_wanted:
            _write(pipeline, batch)
            batch = []
            print(f"built {total} chunks in {time.perf_counter() - began:.0f} s", flush=True)
    pipeline.close()
    return {"build_s": round(time.perf_counter() - began, 1)}


def _write(pipeline: Pipeline, batch: list[tuple]) -> None:
    """One Chroma upsert for many documents, then each document's catalog commit."""
    chunks = [c for _, cs, _, _ in batch for c in cs]
    vectors = np.concatenate([v for _, _, v, _ in batch])
    pipeline.store.upsert(chunks, vectors, {d.doc_id: d.title for d, _, _, _ in batch})
    for document, doc_chunks, _, sentences in batch:
        pipeline.catalog.replace_document(
            document, pipeline.fingerprint, doc_chunks, sentences, stale=set()
        )


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(out: Path, bench_dir: Path, questions: int) -> None:
    """In a fresh process: first answer, then ask and floor interleaved per question."""
    rows = [json.loads(line) for line in (bench_dir / "questions.jsonl").open()]
    asked = [r["question"] for r in random.Random(1).sample(rows, questions)]
    pipeline = build_pipeline(scale_settings(out / "store"))
    pipeline.ask(asked[0])
    first_answer_s = _process_age_s()
    print("first-answer", flush=True)
    ask_ms: list[float] = []
    floor_ms: list[float] = []
    stages: dict[str, list[float]] = {}
    for question in asked[1:]:
        mark = time.perf_counter()
        answer = pipeline.ask(question)
        ask_ms.append((time.perf_counter() - mark) * 1000)
        for stage, ms in answer.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
        mark = time.perf_counter()
        vector = pipeline.embedder.encode([question])[0]
        pipeline.store.search(vector, pipeline.settings.retrieval.candidates)
        floor_ms.append((time.perf_counter() - mark) * 1000)
    result = {
        "ask_p50_ms": _pct(ask_ms, 50),
        "ask_p95_ms": _pct(ask_ms, 95),
        "floor_p50_ms": _pct(floor_ms, 50),
        "floor_p95_ms": _pct(floor_ms, 95),
        "stages_p50_ms": {s: _pct(v, 50) for s, v in stages.items()},
        "stages_p95_ms": {s: _pct(v, 95) for s, v in stages.items()},
        "rss_mb": round(_rss_mb()),
        "first_answer_own_clock_s": round(first_answer_s, 2),
        "questions": len(ask_ms),
    }
    print(json.dumps(result), flush=True)


def _process_age_s() -> float:
    """Seconds since this process started (from /proc: includes the interpreter and imports)."""
    started_ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - started_ticks / os.sysconf("SC_CLK_TCK")


def _pct(values: list[float], q: int) -> float:
    return round(float(np.percentile(values, q)), 1) if values else 0.0


def run(chunks: int, out: Path, bench_dir: Path, questions: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    built = build(chunks, out, bench_dir)
    began = time.perf_counter()
    command = [sys.executable, "-m", "eval.bench.scale", "--measure", str(out)]
    command += ["--bench-dir", str(bench_dir), "--questions", str(questions)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    first_answer_s = None
    for line in child.stdout:
        if line.strip() == "first-answer":
            first_answer_s = time.perf_counter() - began
        else:
            last = line
    if child.wait() != 0:
        raise SystemExit("the measuring process failed")
    measured = json.loads(last)
    pipeline = build_pipeline(scale_settings(out / "store"))
    stored = len(pipeline.catalog.view().chunks)
    pipeline.close()
    disk = sum(f.stat().st_size for f in (out / "store").rglob("*") if f.is_file())
    summary = {
        "chunks": stored,
        **{k: v for k, v in measured.items() if k in FIGURES},
        # A fresh process: interpreter, imports, model, catalog and store, then one answer.
        "first_answer_s": round(first_answer_s or 0.0, 2),
        "model_load_s": _model_load_s(),
        "disk_mb": round(disk / 1e6),
        **{k: v for k, v in measured.items() if k not in FIGURES},
        **built,
        "load_average": os.getloadavg(),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _model_load_s() -> float:
    """A fresh process that only loads the model and embeds one question: the reference."""
    script = (
        "from qa.embeddings import Embedder; from qa.settings import EmbeddingSettings; "
        "Embedder(EmbeddingSettings()).encode(['warm-up'])"
    )
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", script], check=True)
    return round(time.perf_counter() - began, 2)


def plot(summaries: list[dict], path: Path) -> None:
    """Each figure against N, one panel per figure (log-scaled N)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summaries = sorted(summaries, key=lambda s: s["chunks"])
    names = (*FIGURES, "disk_mb")
    fig, axes = plt.subplots(2, 4, figsize=(16, 7))
    for ax, name in zip(axes.flat, names, strict=False):
        ax.plot([s["chunks"] for s in summaries], [s[name] for s in summaries], "o-")
        ax.set_xscale("log")
        ax.set_title(name)
        ax.set_xlabel("chunks")
        ax.set_ylim(bottom=0)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int)
    parser.add_argument("--out", type=Path, help="summary folder (or the plot file)")
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--plot", type=Path, nargs="+", help="summary folders to plot")
    args = parser.parse_args(argv)
    if args.out is None and not args.measure:
        parser.error("--out is required")
    if args.measure:
        measure(args.measure, args.bench_dir, args.questions + 1)
    elif args.plot:
        plot([json.loads((d / "summary.json").read_text()) for d in args.plot], args.out)
    else:
        print(json.dumps(run(args.chunks, args.out, args.bench_dir, args.questions), indent=2))


if __name__ == "__main__":
    main()
