"""Fit the reader's refusal model on tuning rows; score it on held-out rows.

    python -m eval.bench.refusal_fit --tune ROWS.jsonl [--check NAME=ROWS.jsonl ...] [--write]

Rows come from `python -m eval.bench.refusal --out` (SQuAD 2.0 tuning articles for --tune).
Unanswerable questions are the positives. The threshold is the one that maximises balanced
accuracy of refusal on the tuning rows; held-out sets are only scored, never fitted on. Each
set is scored twice, so the two decisions read side by side: the first-token share alone
against QA_LLM__MIN_NOT_FOUND, and the fitted model. --write stores the model in
qa/refusal_model.json.
"""

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench.refusal import auc
from qa.refusal import FEATURES, PACKAGED_MODEL
from qa.settings import LLMSettings
from qa.support import fit_logistic


def read_rows(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signals, unanswerable flags and first-token shares of a rows file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if any(len(r["signals"]) != len(FEATURES) for r in rows):
        raise SystemExit(f"{path}: rows must carry {len(FEATURES)} signals {FEATURES}")
    x = np.array([r["signals"] for r in rows], dtype=float).reshape(-1, len(FEATURES))
    y = np.array([not r["answerable"] for r in rows], dtype=float)
    first = np.array([r["p_not_found"] for r in rows], dtype=float)
    return x, y, first


def decision_figures(p: np.ndarray, y: np.ndarray, threshold: float) -> dict[str, Any]:
    """AUC, and the refusal rates and balanced accuracy at `threshold`."""
    refused = p >= threshold
    caught = float(refused[y == 1].mean()) if (y == 1).any() else float("nan")
    wrongly = float(refused[y == 0].mean()) if (y == 0).any() else float("nan")
    separation = auc(list(p[y == 1]), list(p[y == 0]))
    return {
        "auc": None if separation is None else round(separation, 3),
        "unanswerable_refused": round(caught, 3),
        "answerable_refused": round(wrongly, 3),
        "balanced_accuracy": round((caught + 1 - wrongly) / 2, 3),
    }


def best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The cut that maximises balanced accuracy (midpoints between sorted scores)."""
    values = np.unique(p)
    cuts = np.concatenate([[0.0], (values[:-1] + values[1:]) / 2, [1.0]])
    scores = [decision_figures(p, y, c)["balanced_accuracy"] for c in cuts]
    return float(cuts[int(np.argmax(scores))])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tune", type=Path, action="append", required=True, help="rows to fit")
    parser.add_argument("--check", action="append", default=[], help="NAME=ROWS.jsonl to score")
    parser.add_argument("--l2", type=float, default=1.0, help="ridge penalty of the fit")
    parser.add_argument("--write", action="store_true", help="store the model in the package")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    tune = [read_rows(p) for p in args.tune]
    x = np.vstack([t[0] for t in tune])
    y = np.concatenate([t[1] for t in tune])
    model = fit_logistic(x, y, l2=args.l2, features=FEATURES)
    model = replace(model, threshold=best_threshold(model.probabilities(x), y))
    first_token_cut = LLMSettings().min_not_found
    report: dict[str, Any] = {"model": model.to_json(), "sets": {}}
    named = [("tune", (x, y, np.concatenate([t[2] for t in tune])))]
    for spec in args.check:
        name, _, path = spec.partition("=")
        named.append((name, read_rows(Path(path))))
    for name, (xs, ys, first) in named:
        report["sets"][name] = {
            "questions": len(ys),
            "unanswerable": int(ys.sum()),
            "first_token": decision_figures(first, ys, first_token_cut),
            "model": decision_figures(model.probabilities(xs), ys, model.threshold),
        }
    if args.write:
        PACKAGED_MODEL.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    weights = ", ".join(f"{f} {w:+.2f}" for f, w in zip(FEATURES, model.weights, strict=True))
    print(f"weights (standardised): {weights}; threshold {model.threshold:.3f}")
    print(
        "set            questions  rule         AUC    unans. refused  ans. refused  balanced acc."
    )
    for name, figures in report["sets"].items():
        for rule in ("first_token", "model"):
            f = figures[rule]
            print(
                f"{name:<14} {figures['questions']:>9}  {rule:<11}  {f['auc']!s:<5}  "
                f"{f['unanswerable_refused']:>14}  {f['answerable_refused']:>12}  "
                f"{f['balanced_accuracy']:>13}"
            )
    if args.write:
        print(f"written: {PACKAGED_MODEL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
