"""Where a benchmark's questions come from: the sample set, a SQuAD 2.0 sample or an RGB
sample, each with a pipeline over its indexed documents (shared by the benchmarks that read
questions without the grounding eval's own runner)."""

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.grounding.run import SAMPLE_SET, eval_pipeline, load_set
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings


def add_source_arguments(
    parser: argparse.ArgumentParser, answerable: int, unanswerable: int, seed: int
) -> None:
    """--set FILE | --squad tune|report | --rgb, and the sample's size and seed."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--set", type=Path, default=SAMPLE_SET, help="eval set (JSONL)")
    source.add_argument("--squad", choices=["tune", "report"], help="a SQuAD 2.0 dev sample")
    source.add_argument("--rgb", action="store_true", help="an RGB en_fact sample")
    parser.add_argument("--bench-dir", type=Path, default=Path("../shared/bench"))
    parser.add_argument("--answerable", type=int, default=answerable)
    parser.add_argument("--unanswerable", type=int, default=unanswerable)
    parser.add_argument("--seed", type=int, default=seed)


@contextmanager
def source_pipeline(
    args: argparse.Namespace, settings: Settings
) -> Iterator[tuple[Pipeline, list[dict[str, Any]]]]:
    """The chosen set's items and a pipeline over its indexed documents."""
    if args.squad:
        from eval.bench.squad import OUT_DIR, bench_settings, index_articles, load_articles
        from eval.bench.squad_eval import sample_items

        items = sample_items(
            args.bench_dir / "squad-v2-dev",
            args.answerable,
            args.unanswerable,
            args.seed,
            args.squad,
        )
        pipeline = build_pipeline(
            bench_settings(OUT_DIR / "squad-grounding-store", llm=settings.llm)
        )
        index_articles(pipeline, load_articles(args.bench_dir / "squad-v2-dev"))
    elif args.rgb:
        from eval.bench.rgb_eval import build_corpus, eval_items, index_snippets
        from eval.bench.squad import OUT_DIR, bench_settings

        documents, questions = build_corpus(args.bench_dir / "rgb-en-fact")
        items = eval_items(questions, documents, args.answerable, args.unanswerable, args.seed)
        pipeline = build_pipeline(
            bench_settings(
                OUT_DIR / "rgb-store", llm=settings.llm, store={"collection": "rgb_bench"}
            )
        )
        index_snippets(pipeline, documents)
    else:
        items = load_set(args.set)
        with eval_pipeline(settings, items, None) as pipeline:
            yield pipeline, items
        return
    try:
        yield pipeline, items
    finally:
        pipeline.close()
