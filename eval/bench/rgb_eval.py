"""The grounding eval on RGB en_fact news snippets (needs ../shared/bench/rgb-en-fact).

    python -m eval.bench.rgb_eval [--answerable 50] [--unanswerable 50] [--provider select]

Nothing here was tuned on: it is a report-only set. Each of the 1,361 web snippets is indexed as
its own document through the project's own chunker. Questions with an even id keep their
positive snippets and are answerable; for questions with an odd id the positive snippets are
left out of the index, so only their on-topic distractors ("negative" snippets) remain and the
right reply is an abstention. The counterfactual `positive_wrong` snippets are never indexed.
Licence of the data: CC BY-NC-SA 4.0, internal evaluation only (see its README).
"""

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench.set_cli import add_run_args, run_and_report, run_set
from eval.bench.squad import OUT_DIR
from index.ingest import chunk_document
from index.normalize import normalize_text
from qa.pipeline import Pipeline
from qa.types import Document

DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "bench" / "rgb-en-fact"
NO_ANSWER = "The documents don't say."


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def snippet_document(row: dict[str, Any]) -> Document:
    text = normalize_text(row["text"])
    number = row["doc_id"].rsplit("-", 1)[-1]
    return Document(
        doc_id=row["doc_id"],
        title=f"News snippet {number}",
        source=f"{row['doc_id']}.txt",
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def build_corpus(bench_dir: Path) -> tuple[list[Document], list[dict[str, Any]]]:
    """The indexed snippets and every question; odd-id questions lose their positive snippets."""
    questions = _read_jsonl(bench_dir / "questions.jsonl")
    answerable = {q["id"] for q in questions if q["id"] % 2 == 0}
    documents = []
    for row in _read_jsonl(bench_dir / "corpus.jsonl"):
        kinds = set(row["kinds"])
        if kinds == {"positive_wrong"}:
            continue
        only_positive = "positive" in kinds and "negative" not in kinds
        if only_positive and not answerable.intersection(row["query_ids"]):
            continue  # the positive snippet of an unanswerable question stays out
        documents.append(snippet_document(row))
    return documents, questions


def index_snippets(pipeline: Pipeline, documents: Sequence[Document]) -> None:
    """Chunk and index the snippets the store does not hold yet."""
    for document in documents:
        if not pipeline.is_current(document):
            pipeline.add_document(document, chunk_document(pipeline, document))


def eval_items(
    questions: Sequence[dict[str, Any]],
    documents: Sequence[Document],
    answerable_n: int,
    unanswerable_n: int,
    seed: int,
) -> list[dict[str, Any]]:
    indexed = {d.doc_id: d for d in documents}
    rng = random.Random(seed)
    even = [q for q in questions if q["id"] % 2 == 0]
    odd = [q for q in questions if q["id"] % 2 == 1]
    chosen = {
        q["id"]
        for pool, n in ((even, answerable_n), (odd, unanswerable_n))
        for q in rng.sample(pool, min(n, len(pool)))
    }
    items = []
    for q in questions:
        if q["id"] not in chosen:
            continue
        answerable = q["id"] % 2 == 0
        positives = [indexed[d] for d in q["positive_doc_ids"] if d in indexed]
        items.append(
            {
                "user_input": q["question"],
                "reference": q["answers"][0] if answerable else NO_ANSWER,
                "reference_contexts": [d.text for d in positives] if answerable else [],
                "kind": "single_fact" if answerable else "unanswerable",
                "history": [],
                "key_facts": [list(q["answers"])] if answerable else [],
                "sources": [d.source for d in positives],
                "answers": list(q["answers"]) if answerable else [],
                "id": q["id"],
            }
        )
    return items


def run(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    documents, questions = build_corpus(args.bench_dir)
    items = eval_items(questions, documents, args.answerable, args.unanswerable, args.seed)

    def index(pipeline: Pipeline) -> dict[str, Any]:
        if not args.quiet:
            print(f"indexing {len(documents)} snippets into {args.store} (once)", flush=True)
        index_snippets(pipeline, documents)
        return {"snippets": len(documents)}

    title = (
        f"RGB en_fact: {args.answerable} answerable + {args.unanswerable} "
        f"unanswerable, seed {args.seed}"
    )
    store = {"collection": "rgb_bench"}
    return run_set(args, items, set_name="rgb_sample.jsonl", title=title, index=index, store=store)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    add_run_args(
        parser,
        answerable_help="even-id questions (max 50)",
        unanswerable_help="odd-id questions (max 50)",
        answerable=50,
        out=OUT_DIR / "rgb-grounding",
        store=OUT_DIR / "rgb-store",
    )
    args = parser.parse_args(argv)
    return run_and_report(run, args, args.bench_dir / "questions.jsonl", "RGB en_fact")


if __name__ == "__main__":
    sys.exit(main())
