"""The command line and run shared by the benchmark eval sets (SQuAD 2.0, RGB): the same flags,
the same run, the same exit codes, so their runs read alike and `eval.bench.answerers` can put
them side by side."""

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.bench.squad import bench_settings
from eval.grounding.run import EvalConfig, ask_in_process, run_items
from eval.grounding.summary import format_summary, parse_bounds
from qa.errors import QAError
from qa.pipeline import Pipeline, build_pipeline

Run = Callable[[argparse.Namespace], tuple[dict[str, Any], list[str]]]


def add_run_args(
    parser: argparse.ArgumentParser,
    *,
    answerable_help: str,
    unanswerable_help: str,
    answerable: int,
    out: Path,
    store: Path,
) -> None:
    """The sample size, answerer, judge and output flags every benchmark set takes."""
    parser.add_argument("--answerable", type=int, default=answerable, help=answerable_help)
    parser.add_argument("--unanswerable", type=int, default=answerable, help=unanswerable_help)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--provider", help="answerer to evaluate (default: extractive)")
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--store", type=Path, default=store)
    parser.add_argument("--min", action="append", default=[], help="floor METRIC=VALUE")
    parser.add_argument(
        "--judge",
        choices=["score", "reader", "hosted", "auto"],
        default="auto",
        help="who judges faithfulness and citations (reader: the packaged reader; hosted: the "
        "chat model at QA_JUDGE__BASE_URL; auto: hosted when configured, else score)",
    )
    parser.add_argument("--quiet", action="store_true")


def run_and_report(run: Run, args: argparse.Namespace, needed: Path, what: str) -> int:
    """2 when the data is missing, 1 on an error or a missed floor, else 0."""
    if not needed.is_file():
        print(f"error: {what} not found under {needed.parent}", file=sys.stderr)
        return 2
    try:
        summary, failures = run(args)
    except QAError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    print(format_summary(summary))
    print(f"report: {args.out / 'report.html'}")
    return 1 if failures else 0


def run_set(
    args: argparse.Namespace,
    items: list[dict[str, Any]],
    *,
    set_name: str,
    title: str,
    index: Callable[[Pipeline], dict[str, Any]],
    store: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Write the sampled items to `set_name` under --out, index the set's documents into the
    --store (`index` returns what the report says of them), then answer and score every item."""
    args.out.mkdir(parents=True, exist_ok=True)
    set_path = args.out / set_name
    set_path.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    llm = {"provider": args.provider} if args.provider else {}
    pipeline = build_pipeline(bench_settings(args.store, llm=llm, store=store or {}))
    try:
        indexed = index(pipeline)
        config = EvalConfig(
            set_path=set_path,
            out_dir=args.out,
            minimums=parse_bounds(args.min),
            progress=not args.quiet,
            judge=args.judge,
            title=title,
        )
        info = {**indexed, "bench_dir": str(args.bench_dir), "seed": args.seed}
        return run_items(items, ask_in_process(pipeline, None), pipeline, config, info)
    finally:
        pipeline.close()
