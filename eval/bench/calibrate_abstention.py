"""Calibrate the extractive answerer's abstention threshold on SQuAD 2.0 dev.

    python -m eval.bench.calibrate_abstention [--bench-dir ../shared/bench/squad-v2-dev] [--json]

Half the articles are indexed. "Answerable" = SQuAD answerable questions about indexed articles;
"out of corpus" = every question about an article that is not indexed (the corpus cannot answer
it); "impossible" = SQuAD's adversarial unanswerable questions about indexed articles (the hard
case, reported apart). Articles are split again into a calibration and a held-out half, so no
article's questions are on both sides.
"""

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

import qa.compose as compose
from eval.bench.squad import (
    DEFAULT_BENCH_DIR,
    OUT_DIR,
    Question,
    embed_questions,
    index_articles,
    load_articles,
    load_questions,
    open_cached_pipeline,
)
from qa.compose import AnswerContext, Candidate, score_sentences, select_sentences
from qa.settings import AnswerSettings

WEIGHTS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
THRESHOLDS = np.round(np.arange(0.10, 0.90, 0.005), 3)
SELECTIONS = ((1, 0.08), (2, 0.04), (2, 0.08), (3, 0.04), (3, 0.08), (3, 0.12))


@dataclass
class Record:
    """One question's scored sentences, as the extractive answerer sees them."""

    question: Question
    group: str  # "answerable", "out_of_corpus" or "impossible"
    split: str  # "calibration" or "held_out"
    candidates: list[Candidate]

    def support(self, weight: float) -> float:
        """Best score of a sentence long enough to quote, at this similarity weight."""
        usable = [c for c in self.candidates if len(c.quote.split()) >= compose.MIN_SENTENCE_WORDS]
        return max((weight * c.similarity + (1 - weight) * c.overlap for c in usable), default=0)


def collect(bench_dir: Path, quiet: bool) -> list[Record]:
    """Index the even articles (cached) and score every question's retrieved sentences."""
    articles = load_articles(bench_dir)
    indexed = {a.document.title.replace(" ", "_"): i for i, a in enumerate(articles) if i % 2 == 0}
    order = {a.document.title.replace(" ", "_"): i for i, a in enumerate(articles)}
    pipeline = open_cached_pipeline("-even")
    with tqdm(total=len(indexed), desc="index", unit="doc", disable=quiet) as bar:
        index_articles(pipeline, articles[::2], bar.update)
    questions = load_questions(bench_dir)
    vectors = embed_questions(pipeline, questions)
    records = []
    for question, vector in tqdm(
        list(zip(questions, vectors, strict=True)), desc="answer", unit="q", disable=quiet
    ):
        position = order[question.title]
        if question.title not in indexed:
            group = "out_of_corpus"
        else:
            group = "impossible" if question.is_impossible else "answerable"
        split = "calibration" if position % 4 in (0, 1) else "held_out"
        view, passages = pipeline.retriever.retrieve(question.question, vector)
        context = AnswerContext(question.question, question.question, vector, tuple(passages), view)
        records.append(Record(question, group, split, score_sentences(context)))
    pipeline.close()
    return records


def abstention(support: np.ndarray, answerable: np.ndarray, threshold: float) -> dict:
    """Abstention scores; abstaining is the positive class, `answerable` should be answered."""
    abstain = support < threshold
    tp = int((abstain & ~answerable).sum())
    fp = int((abstain & answerable).sum())
    positives, negatives = int((~answerable).sum()), int(answerable.sum())
    recall = tp / positives if positives else 0.0
    specificity = 1 - fp / negatives if negatives else 0.0
    return {
        "balanced_accuracy": round((recall + specificity) / 2, 4),
        "abstain_precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "abstain_recall": round(recall, 4),
        "false_abstain_rate": round(1 - specificity, 4),
        "counts": {"should_abstain": positives, "answerable": negatives},
    }


def scored(records: Sequence[Record], weight: float) -> tuple[np.ndarray, np.ndarray]:
    """Support per question at this weight, and which questions are answerable."""
    support = np.array([r.support(weight) for r in records])
    return support, np.array([r.group == "answerable" for r in records])


def answer_hits(records: Sequence[Record], weight: float, settings: AnswerSettings) -> dict:
    """How often the cited sentences contain a gold answer string (answerable questions)."""
    compose.SIMILARITY_WEIGHT = weight
    answered = hits = top_hits = cited = in_passages = 0
    for record in records:
        answers = [a.lower() for a in record.question.answers]
        ranked = sorted(record.candidates, key=lambda c: c.score, reverse=True)
        texts = " ".join(p.text for p in {c.passage.chunk_id: c.passage for c in ranked}.values())
        in_passages += any(a in texts.lower() for a in answers)
        chosen = select_sentences(ranked, settings)
        if not chosen:
            continue
        answered += 1
        cited += len(chosen)
        hits += any(a in " ".join(c.quote for c in chosen).lower() for a in answers)
        top_hits += any(a in chosen[0].quote.lower() for a in answers)
    n = len(records)
    return {
        "questions": n,
        "answered": answered,
        "hit_rate_answered": round(hits / answered, 4) if answered else 0.0,
        "hit_rate_all": round(hits / n, 4) if n else 0.0,
        "first_sentence_hit_rate_answered": round(top_hits / answered, 4) if answered else 0.0,
        "mean_cited_sentences": round(cited / answered, 2) if answered else 0.0,
        "gold_in_retrieved_passages": round(in_passages / n, 4) if n else 0.0,
    }


def top_sentence_hits(records: Sequence[Record], weight: float) -> float:
    """Share of questions whose best quotable sentence contains a gold answer string."""
    hits = 0
    for record in records:
        usable = [
            c for c in record.candidates if len(c.quote.split()) >= compose.MIN_SENTENCE_WORDS
        ]
        if usable:
            best = max(usable, key=lambda c: weight * c.similarity + (1 - weight) * c.overlap)
            hits += any(a.lower() in best.quote.lower() for a in record.question.answers)
    return hits / len(records) if records else 0.0


def best_threshold(support: np.ndarray, answerable: np.ndarray) -> tuple[float, dict]:
    """The threshold with the highest balanced accuracy, and its figures."""
    scores = [abstention(support, answerable, t) for t in THRESHOLDS]
    best = max(range(len(THRESHOLDS)), key=lambda i: scores[i]["balanced_accuracy"])
    return float(THRESHOLDS[best]), scores[best]


def calibrate(records: list[Record]) -> dict:
    """Grid over weight and threshold on the calibration half; figures on the held-out half.

    The weight decides both abstention and which sentence is quoted first, so it is chosen by
    calibration balanced accuracy plus the share of answerable questions whose top sentence
    holds a gold answer; the threshold is then the one with the best balanced accuracy.
    """
    easy = [r for r in records if r.group != "impossible" and r.split == "calibration"]
    calib_answerable = [r for r in easy if r.group == "answerable"]
    grid = []
    for weight in WEIGHTS:
        threshold, score = best_threshold(*scored(easy, weight))
        top = round(top_sentence_hits(calib_answerable, weight), 4)
        objective = round(score["balanced_accuracy"] + top, 4)
        grid.append(
            {
                "weight": weight,
                "threshold": threshold,
                "top_sentence_hit": top,
                "objective": objective,
                **score,
            }
        )
    chosen = max(grid, key=lambda g: g["objective"])
    weight, threshold = chosen["weight"], chosen["threshold"]
    held = [r for r in records if r.split == "held_out"]
    answerable = [r for r in held if r.group == "answerable"]
    hard = scored([r for r in held if r.group != "out_of_corpus"], weight)
    shipped = compose.SIMILARITY_WEIGHT
    try:
        selections = {
            f"weight={w}, max_sentences={n}, margin={m}": answer_hits(
                answerable, w, AnswerSettings(min_support=threshold, max_sentences=n, margin=m)
            )
            for w in sorted({weight, shipped})
            for n, m in SELECTIONS
        }
    finally:
        compose.SIMILARITY_WEIGHT = shipped
    return {
        "weight": weight,
        "threshold": threshold,
        "calibration_grid": grid,
        "held_out": abstention(
            *scored([r for r in held if r.group != "impossible"], weight), threshold
        ),
        "held_out_hard_case": abstention(*hard, threshold),
        "shipped": {
            "weight": shipped,
            "min_support": AnswerSettings().min_support,
            "held_out": abstention(
                *scored([r for r in held if r.group != "impossible"], shipped),
                AnswerSettings().min_support,
            ),
        },
        "held_out_hard_case_best_threshold": best_threshold(*hard),
        "answer_sentences": selections,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(
        prog="python -m eval.bench.calibrate_abstention",
        description="Pick SIMILARITY_WEIGHT and min_support by balanced accuracy of abstention "
        "(answerable vs out-of-corpus questions) on a calibration half of SQuAD 2.0 dev "
        "articles; report them on the held-out half, with SQuAD's adversarial unanswerable "
        "questions as the hard case, and the answer-sentence hit rate.",
    )
    parser.add_argument(
        "--bench-dir", type=Path, default=DEFAULT_BENCH_DIR, help="the squad-v2-dev folder"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where results JSON goes")
    args = parser.parse_args(argv)
    records = collect(args.bench_dir, quiet=False)
    results = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "groups": {
            f"{g}/{s}": sum(1 for r in records if (r.group, r.split) == (g, s))
            for g in ("answerable", "out_of_corpus", "impossible")
            for s in ("calibration", "held_out")
        },
        **calibrate(records),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "calibrate_abstention.json").write_text(json.dumps(results, indent=2) + "\n")
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    print(f"chosen: SIMILARITY_WEIGHT={results['weight']}, min_support={results['threshold']}")
    for g in results["calibration_grid"]:
        print(
            f"  weight {g['weight']}: threshold {g['threshold']}, calib BA "
            f"{g['balanced_accuracy']}, top-sentence hit {g['top_sentence_hit']}"
        )
    print("held out (answerable vs out of corpus):", results["held_out"])
    print("held out hard case (answerable vs impossible):", results["held_out_hard_case"])
    print("  best any threshold could do there:", results["held_out_hard_case_best_threshold"])
    for name, hit in results["answer_sentences"].items():
        print(f"  {name}: {hit}")
    print("shipped defaults on the held-out half:", results["shipped"])
    print(f"written: {args.out / 'calibrate_abstention.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
