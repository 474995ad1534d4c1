"""The command line shared by the benchmark eval sets (SQuAD 2.0, RGB): the same flags, the same
exit codes, so their runs read alike and `eval.bench.answerers` can put them side by side."""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from eval.grounding.summary import format_summary
from qa.errors import QAError

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
