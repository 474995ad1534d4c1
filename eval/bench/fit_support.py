"""Fit the extractive answerer's support model on SQuAD 2.0 dev, tuning articles only.

    python -m eval.bench.fit_support [--per-split 600] [--seed 0] [--write]

All 35 articles are indexed through the project's own chunker (one store, cached under
eval/out); even-numbered articles are the TUNING split, odd ones are HELD OUT. Candidates of
answerable tuning questions whose sentence holds a gold answer are the positives; every other
candidate (the rest, and all of an unanswerable question's) is a negative. The threshold is the
one that maximises balanced accuracy of abstention on the tuning questions. Figures are
reported for both splits; --write stores the model in qa/support_model.json.
"""

import argparse
import json
import random
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from eval.bench.squad import (
    DEFAULT_BENCH_DIR,
    Question,
    embed_questions,
    index_articles,
    load_articles,
    load_questions,
    open_cached_pipeline,
)
from qa.answer_type import expected_type
from qa.compose import AnswerContext, score_sentences, typed_candidates
from qa.support import PACKAGED_MODEL, candidate_features, fit_logistic


@dataclass
class Scored:
    question: Question
    split: str
    features: np.ndarray  # one row per type-matching candidate
    hits: np.ndarray  # whether each candidate's sentence holds a gold answer
    hand: np.ndarray  # the hand-mixed score of each candidate


def collect(bench_dir: Path, per_split: int, seed: int) -> list[Scored]:
    articles = load_articles(bench_dir)
    split_of = {
        a.document.title.replace(" ", "_"): ("tuning", "held_out")[i % 2]
        for i, a in enumerate(articles)
    }
    pipeline = open_cached_pipeline("-all", answer={"support": "score"})
    index_articles(pipeline, articles)
    rng = random.Random(seed)
    questions = []
    for split in ("tuning", "held_out"):
        pool = [q for q in load_questions(bench_dir) if split_of[q.title] == split]
        questions += rng.sample(pool, min(per_split, len(pool)))
    vectors = embed_questions(pipeline, questions)
    out = []
    for question, vector in zip(questions, vectors, strict=True):
        view, passages = pipeline.retriever.retrieve(question.question, vector)
        context = AnswerContext(question.question, question.question, vector, tuple(passages), view)
        candidates = typed_candidates(score_sentences(context), question.question)
        typed = expected_type(question.question) is not None
        answers = [a.lower() for a in question.answers]
        out.append(
            Scored(
                question,
                split_of[question.title],
                np.array([candidate_features(c, typed) for c in candidates]).reshape(-1, 8),
                np.array(
                    [any(a in c.quote.lower() for a in answers) for c in candidates], dtype=bool
                ),
                np.array([c.score for c in candidates], dtype=float),
            )
        )
    pipeline.close()
    return out


def evaluate(records: list[Scored], support: list[np.ndarray], threshold: float) -> dict:
    """Abstention balanced accuracy and whether the chosen sentence holds a gold answer."""
    answerable = np.array([not r.question.is_impossible for r in records])
    best = np.array([s.max() if len(s) else 0.0 for s in support])
    answered = best >= threshold
    recall = float((~answered & ~answerable).sum() / max((~answerable).sum(), 1))
    specificity = float((answered & answerable).sum() / max(answerable.sum(), 1))
    correct = [
        bool(r.hits[int(np.argmax(s))])
        for r, s, a in zip(records, support, answered, strict=True)
        if a and not r.question.is_impossible
    ]
    any_hit = sum(bool(r.hits.any()) for r in records if not r.question.is_impossible)
    return {
        "questions": len(records),
        "answerable": int(answerable.sum()),
        "balanced_accuracy": round((recall + specificity) / 2, 4),
        "abstain_recall": round(recall, 4),
        "false_abstention_rate": round(1 - specificity, 4),
        "answer_sentence_correct": round(sum(correct) / max(len(correct), 1), 4),
        "answer_sentence_correct_of_answerable": round(sum(correct) / max(answerable.sum(), 1), 4),
        "gold_in_some_candidate": round(any_hit / max(answerable.sum(), 1), 4),
    }


def best_threshold(records: list[Scored], support: list[np.ndarray]) -> float:
    grid = np.unique(np.round(np.concatenate([s for s in support if len(s)]), 3))
    return float(max(grid, key=lambda t: evaluate(records, support, t)["balanced_accuracy"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-dir", type=Path, default=DEFAULT_BENCH_DIR)
    parser.add_argument("--per-split", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help="store the model in the repo")
    args = parser.parse_args()
    records = collect(args.bench_dir, args.per_split, args.seed)
    tuning = [r for r in records if r.split == "tuning"]
    held = [r for r in records if r.split == "held_out"]
    x = np.vstack([r.features for r in tuning if len(r.features)])
    y = np.concatenate([r.hits & (not r.question.is_impossible) for r in tuning]).astype(float)
    model = fit_logistic(x, y)
    learned = {
        s: [model.probabilities(r.features) if len(r.features) else np.zeros(0) for r in rs]
        for s, rs in (("tuning", tuning), ("held_out", held))
    }
    model = replace(model, threshold=best_threshold(tuning, learned["tuning"]))
    hand = {s: [r.hand for r in rs] for s, rs in (("tuning", tuning), ("held_out", held))}
    hand_threshold = best_threshold(tuning, hand["tuning"])
    report = {
        "model": model.to_json(),
        "learned": {
            s: evaluate(rs, learned[s], model.threshold)
            for s, rs in (("tuning", tuning), ("held_out", held))
        },
        "hand_score_refit_threshold": {
            "threshold": hand_threshold,
            **{
                s: evaluate(rs, hand[s], hand_threshold)
                for s, rs in (("tuning", tuning), ("held_out", held))
            },
        },
    }
    print(json.dumps(report, indent=2))
    if args.write:
        PACKAGED_MODEL.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {PACKAGED_MODEL}")


if __name__ == "__main__":
    main()
