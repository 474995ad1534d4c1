"""The grounding eval on a fixed sample of SQuAD 2.0 dev (needs ../shared/bench/squad-v2-dev).

    python -m eval.bench.squad_eval [--answerable 200] [--unanswerable 200] [--seed 0] [--out DIR]

Whole articles go through the project's own chunker into a private store under eval/out,
built once and reused; answers come from the in-process pipeline and are scored by
eval.grounding.run.
"""

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench.set_cli import add_run_args, run_and_report, run_set
from eval.bench.squad import (
    DEFAULT_BENCH_DIR,
    OUT_DIR,
    gold_spans,
    index_articles,
    load_articles,
    load_questions,
)
from qa.pipeline import Pipeline

NO_ANSWER = "The documents don't say."


def sample_items(
    bench_dir: Path, answerable: int, unanswerable: int, seed: int, split: str = "all"
) -> list[dict]:
    """Eval records for a seeded sample of answerable and unanswerable questions, file order.

    split "tune" keeps the even-numbered articles, "report" the odd ones (held out), "all" both.
    """
    ordered = load_articles(bench_dir)
    articles = {a.document.doc_id: a for a in ordered}
    parity = {a.document.doc_id: i % 2 for i, a in enumerate(ordered)}
    spans = gold_spans(articles.values())
    wanted = {"tune": {0}, "report": {1}, "all": {0, 1}}[split]
    questions = [q for q in load_questions(bench_dir) if parity[spans[q.gold_doc_id][0]] in wanted]
    rng = random.Random(seed)
    chosen = {
        q.id
        for impossible, n in ((False, answerable), (True, unanswerable))
        for q in rng.sample([q for q in questions if q.is_impossible == impossible], n)
    }
    items = []
    for q in questions:
        if q.id not in chosen:
            continue
        doc_id, start, end = spans[q.gold_doc_id]
        document = articles[doc_id].document
        items.append(
            {
                "user_input": q.question,
                "reference": q.answers[0] if q.answers else NO_ANSWER,
                "reference_contexts": [] if q.is_impossible else [document.text[start:end]],
                "kind": "unanswerable" if q.is_impossible else "single_fact",
                "history": [],
                "key_facts": [] if q.is_impossible else [list(q.answers)],
                "sources": [document.source],
                "answers": list(q.answers),
                "id": q.id,
            }
        )
    return items


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    items = sample_items(args.bench_dir, args.answerable, args.unanswerable, args.seed, args.split)

    def index(pipeline: Pipeline) -> dict[str, Any]:
        if not args.quiet:
            print(f"indexing 35 articles into {args.store} (skips those already there)", flush=True)
        return {"chunks": index_articles(pipeline, load_articles(args.bench_dir))}

    title = (
        f"SQuAD 2.0 dev: {args.answerable} answerable + {args.unanswerable} "
        f"unanswerable, seed {args.seed}"
    )
    return run_set(args, items, set_name="squad_sample.jsonl", title=title, index=index)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument(
        "--split",
        choices=["all", "tune", "report"],
        default="all",
        help="articles: tune = even-numbered, report = odd-numbered (held out), all = both",
    )
    add_run_args(
        parser,
        answerable_help="answerable questions to sample",
        unanswerable_help="unanswerable (adversarial) questions to sample",
        answerable=200,
        out=OUT_DIR / "squad-grounding",
        store=OUT_DIR / "squad-grounding-store",
    )
    args = parser.parse_args(argv)
    return run_and_report(run, args, args.bench_dir / "questions.jsonl", "SQuAD 2.0 dev")


if __name__ == "__main__":
    sys.exit(main())
