"""Retrieval recall@k on SQuAD 2.0 dev: whole articles through our chunker, hit = gold overlap.

python -m eval.bench.retrieval [--bench-dir ../shared/bench/squad-v2-dev] [--limit N] [--json]
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np
from tqdm import tqdm

from eval.bench.squad import (
    DEFAULT_BENCH_DIR,
    OUT_DIR,
    Question,
    bench_settings,
    embed_questions,
    gold_spans,
    index_articles,
    load_articles,
    load_questions,
    overlaps,
    store_path_for,
)
from qa.pipeline import Pipeline, build_pipeline
from qa.retrieve import Ranking, Retriever, fuse_convex, fuse_rrf
from qa.settings import RetrievalSettings

KS = (1, 5, 10)
# The plain reciprocal-rank fusion the issue compares against: equal weights, k = 60.
PLAIN_RRF = {"fusion": "rrf", "dense_weight": 0.5, "rrf_k": 60}
# The tuning grid (--grid): BM25 (k1, b), then fusion variants on the same candidate lists.
BM25_GRID = ((1.2, 0.75), (0.9, 0.4), (0.9, 0.75), (1.5, 0.75), (0.6, 0.75))
WEIGHTS = (0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)
CANDIDATES = (20, 40, 100)
RRF_GRID = ((0.3, 10), (0.4, 10), (0.5, 10), (0.3, 60), (0.4, 60), (0.5, 60))


def first_hit(
    ranking: Sequence[tuple[str, float]], pipeline: Pipeline, gold: tuple[str, int, int]
) -> int | None:
    """1-based rank of the first chunk overlapping the gold paragraph, or None."""
    chunks = pipeline.catalog.view().chunks
    doc_id, start, end = gold
    for rank, (chunk_id, _) in enumerate(ranking, start=1):
        entry = chunks[chunk_id]
        if entry.doc_id == doc_id and overlaps((entry.start, entry.end), (start, end)):
            return rank
    return None


def recall(ranks: Sequence[int | None], k: int) -> float:
    """Share of questions whose first hit is within the top k."""
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else 0.0


def build_rankers(pipeline: Pipeline) -> dict[str, tuple[Retriever, str]]:
    """Each ranker measured: name -> (retriever, mode); `default` is the shipped setting."""
    default = pipeline.retriever
    plain = RetrievalSettings(**{**default.settings.model_dump(), **PLAIN_RRF})
    return {
        "dense": (default, "dense"),
        "bm25": (default, "bm25"),
        "rrf": (Retriever(plain, pipeline.store, pipeline.catalog), "hybrid"),
        "default": (default, default.settings.mode),
    }


@dataclass
class Bench:
    """The indexed articles and the questions to rank, with vectors and gold spans aligned."""

    pipeline: Pipeline
    questions: list[Question]
    vectors: np.ndarray
    gold: list[tuple[str, int, int]]
    articles: int


def prepare(bench_dir: Path, limit: int | None, quiet: bool, index: dict | None = None) -> Bench:
    """Index the whole articles (cached under eval/out) and embed the answerable questions.

    `index` overrides IndexSettings fields (chunk size), each size with its own cached store.
    """
    articles = load_articles(bench_dir)
    questions = [q for q in load_questions(bench_dir) if not q.is_impossible][:limit]
    spans = gold_spans(articles)
    sized = bench_settings(Path("."), index=index or {})
    # One cached store per encoder (QA_EMBEDDINGS__BACKEND): vectors of two never mix.
    backend = sized.embeddings.backend
    tag = "" if backend == "torch" else f"-{backend}"
    pipeline = build_pipeline(bench_settings(store_path_for(sized, tag), index=index or {}))
    with tqdm(total=len(articles), desc="index", unit="doc", disable=quiet) as bar:
        index_articles(pipeline, articles, bar.update)
    vectors = embed_questions(pipeline, questions)
    gold = [spans[q.gold_doc_id] for q in questions]
    return Bench(pipeline, questions, vectors, gold, len(articles))


def measure(bench: Bench, quiet: bool) -> dict:
    """Rank every question with each ranker through Retriever.rank; recall@k and latency."""
    pipeline = bench.pipeline
    rankers = build_rankers(pipeline)
    ranks: dict[str, list[int | None]] = {name: [] for name in rankers}
    millis: dict[str, list[float]] = {name: [] for name in rankers}
    rows = list(zip(bench.questions, bench.vectors, bench.gold, strict=True))
    for question, vector, gold in tqdm(rows, desc="rank", unit="q", disable=quiet):
        for name, (retriever, mode) in rankers.items():
            began = time.perf_counter()
            _, fused, _, _ = retriever.rank(question.question, vector, max(KS), mode=mode)
            millis[name].append((time.perf_counter() - began) * 1000)
            ranks[name].append(first_hit(fused, pipeline, gold))
    view = pipeline.catalog.view()
    settings = pipeline.settings
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared)",
        "questions": len(bench.questions),
        "articles": bench.articles,
        "chunks": len(view.chunks),
        "mean_chunk_chars": round(
            statistics.mean(c.end - c.start for c in view.chunks.values()), 1
        ),
        "settings": {
            "index": settings.index.model_dump(),
            "retrieval": settings.retrieval.model_dump(),
            "bm25": {"k1": view.bm25.k1, "b": view.bm25.b, "engine": "sqlite fts5 + rescoring"},
        },
        "recall": {n: {f"R@{k}": round(recall(r, k), 4) for k in KS} for n, r in ranks.items()},
        "rank_ms_p50": {n: round(statistics.median(m), 2) for n, m in millis.items()},
    }


def fuse(dense: Ranking, lexical: Ranking, fusion: str, candidates: int, **knobs: float) -> Ranking:
    """One grid variant: each ranker's list cut to `candidates`, then fused."""
    dense, lexical = dense[:candidates], lexical[:candidates]
    if fusion == "convex":
        return fuse_convex(dense, lexical, knobs["dense_weight"])
    if fusion == "rrf":
        return fuse_rrf(dense, lexical, knobs["dense_weight"], int(knobs["rrf_k"]))
    return lexical


def grid_variants() -> list[dict]:
    """Every fusion setting the grid tries, BM25 alone first."""
    variants: list[dict] = [{"fusion": "bm25", "candidates": max(CANDIDATES)}]
    variants += [
        {"fusion": "convex", "candidates": c, "dense_weight": w}
        for c in CANDIDATES
        for w in WEIGHTS
    ]
    variants += [
        {"fusion": "rrf", "candidates": 40, "dense_weight": w, "rrf_k": k} for w, k in RRF_GRID
    ]
    return variants


def tune(bench: Bench, quiet: bool) -> list[dict]:
    """Offline grid: each ranker's candidates once per BM25 setting, then every fusion on them.

    Changes the BM25 parameters of this process only; the store is untouched.
    """
    retriever, pool = bench.pipeline.retriever, max(CANDIDATES)
    bm25 = bench.pipeline.catalog.fulltext
    shipped = (bm25.k1, bm25.b)
    rows = list(zip(bench.questions, bench.vectors, strict=True))
    dense = [
        retriever.rank(q.question, v, pool, mode="dense")[1]
        for q, v in tqdm(rows, desc="grid dense", unit="q", disable=quiet)
    ]
    results = []
    try:
        for k1, b in tqdm(BM25_GRID, desc="grid bm25", disable=quiet):
            bm25.k1, bm25.b = k1, b
            lexical = [retriever.rank(q.question, v, pool, mode="bm25")[1] for q, v in rows]
            for variant in grid_variants():
                ranks = [
                    first_hit(fuse(d, x, **variant)[: max(KS)], bench.pipeline, g)
                    for d, x, g in zip(dense, lexical, bench.gold, strict=True)
                ]
                recalls = {f"R@{k}": round(recall(ranks, k), 4) for k in KS}
                results.append({"k1": k1, "b": b, **variant, **recalls})
    finally:
        bm25.k1, bm25.b = shipped
    return results


def plot(results: dict, path: Path) -> None:
    """Grouped bars: recall@k per ranker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["recall"])
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(KS)
    for j, k in enumerate(KS):
        values = [results["recall"][n][f"R@{k}"] for n in names]
        bars = ax.bar([i + j * width for i in range(len(names))], values, width, label=f"R@{k}")
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks([i + width for i in range(len(names))], names)
    ax.set_ylim(0.5, 1.06)
    ax.set_ylabel("recall (gold paragraph overlapped)")
    ax.set_title(f"SQuAD 2.0 dev, {results['questions']} answerable questions")
    ax.legend(loc="upper left", ncols=len(KS), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench.retrieval",
        description="Recall@1/5/10 of dense, BM25, plain RRF and the default retrieval on "
        "SQuAD 2.0 dev answerable questions. Whole articles go through the project's chunker "
        "into a real Chroma store (cached under eval/out/); a hit is a retrieved chunk whose "
        "span overlaps the gold paragraph.",
    )
    parser.add_argument(
        "--bench-dir", type=Path, default=DEFAULT_BENCH_DIR, help="the squad-v2-dev folder"
    )
    parser.add_argument("--limit", type=int, help="only the first N answerable questions")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--chunk-tokens", type=int, help="override the default chunk size")
    parser.add_argument("--overlap-tokens", type=int, help="override the default chunk overlap")
    parser.add_argument(
        "--grid",
        action="store_true",
        help="also run the tuning grid (BM25 k1/b x fusion variants) on the same questions",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT_DIR, help="where results JSON and plot go (eval/out)"
    )
    args = parser.parse_args(argv)
    sizes = {"chunk_tokens": args.chunk_tokens, "overlap_tokens": args.overlap_tokens}
    sizes = {k: v for k, v in sizes.items() if v is not None}
    bench = prepare(args.bench_dir, args.limit, False, sizes)
    results = {"bench_dir": str(args.bench_dir), **measure(bench, quiet=False)}
    if args.grid:
        results["grid"] = tune(bench, quiet=False)
    bench.pipeline.close()
    args.out.mkdir(parents=True, exist_ok=True)
    index = bench.pipeline.settings.index
    name = (
        f"bench_retrieval-{index.chunk_tokens}-{index.overlap_tokens}"
        if sizes
        else "bench_retrieval"
    )
    (args.out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(results, args.out / f"{name}.png")
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print(f"{results['questions']} questions, {results['chunks']} chunks")
        print(f"{'ranker':<10}" + "".join(f"{f'R@{k}':>8}" for k in KS) + f"{'p50 ms':>9}")
        for ranker, values in results["recall"].items():
            cells = "".join(f"{values[f'R@{k}']:>8.3f}" for k in KS)
            print(f"{ranker:<10}{cells}{results['rank_ms_p50'][ranker]:>9.2f}")
        for row in results.get("grid", []):
            knobs = {k: v for k, v in row.items() if not k.startswith("R@")}
            print(" ".join(f"{row[f'R@{k}']:.4f}" for k in KS), knobs)
        print(f"written: {args.out / name}.json and .png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
