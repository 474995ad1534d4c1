"""Fit an answerer's refusal cut on labelled questions about the collection it serves.

For each question the answerer's own refusal signal is read, nothing is written: the
extractive answerer's support for its best sentence (it answers from `answer.min_support`
up), or the reader's first-token P(NOT_FOUND) (it refuses from `llm.min_not_found` up). The
cut that best separates answerable from unanswerable questions (balanced accuracy, the middle
of the best plateau) is reported beside the cut in effect, and `--write` stores it where the
pipeline picks it up (qa/calibration.py). False-premise questions are left out: whether they
should be refused or corrected is not a refusal cut's call.
"""

import hashlib
import itertools
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qa.calibration import CALIBRATED, write_calibration
from qa.errors import ConfigError, InputError
from qa.pipeline import Pipeline
from qa.types import Turn

MIN_EACH = 5  # fewest answerable and unanswerable questions a cut may be fitted on
FOLDS = 5  # folds of the held-out check a cut must pass before it is written


@dataclass(frozen=True)
class Decision:
    """How a cut sorts the rows: shares refused of each kind, and their balanced accuracy."""

    cut: float
    answerable_refused: float
    unanswerable_refused: float

    @property
    def balanced_accuracy(self) -> float:
        return (self.unanswerable_refused + 1 - self.answerable_refused) / 2

    def as_dict(self) -> dict[str, float]:
        return {
            "cut": round(self.cut, 6),
            "answerable_refused": round(self.answerable_refused, 3),
            "unanswerable_refused": round(self.unanswerable_refused, 3),
            "balanced_accuracy": round(self.balanced_accuracy, 3),
        }


def refuses(answerer: str, value: float, cut: float) -> bool:
    """The answerer's own rule: support below the cut, or P(NOT_FOUND) at or above it."""
    return value < cut if answerer == "extractive" else value >= cut


def decide(answerer: str, rows: list[tuple[float, bool]], cut: float) -> Decision:
    """Refusal shares at `cut` for (signal, answerable) rows."""
    fair = [refuses(answerer, v, cut) for v, ok in rows if ok]
    unfair = [refuses(answerer, v, cut) for v, ok in rows if not ok]
    return Decision(cut, sum(fair) / len(fair), sum(unfair) / len(unfair))


def best_cut(answerer: str, rows: list[tuple[float, bool]]) -> Decision:
    """The cut of highest balanced accuracy; of a plateau of equal ones, the middle one."""
    values = sorted({v for v, _ in rows})
    cuts = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(values)), 1.0]
    decisions = [decide(answerer, rows, c) for c in cuts]
    top = max(d.balanced_accuracy for d in decisions)
    plateau = [d for d in decisions if d.balanced_accuracy >= top - 1e-12]
    return plateau[len(plateau) // 2]


def cross_validated(answerer: str, rows: list[tuple[float, bool]], folds: int = FOLDS) -> Decision:
    """How well a fitted cut does on questions it was not fitted on: each of `folds` stratified
    folds is refused by the cut fitted on the others (the `cut` reported is the mean of those)."""
    seen = {True: 0, False: 0}
    fold_of = []
    for _, ok in rows:
        fold_of.append(seen[ok] % folds)
        seen[ok] += 1
    refused = [False] * len(rows)
    cuts = []
    for k in range(folds):
        rest = [r for r, f in zip(rows, fold_of, strict=True) if f != k]
        cut = best_cut(answerer, rest).cut
        cuts.append(cut)
        for i, f in enumerate(fold_of):
            if f == k:
                refused[i] = refuses(answerer, rows[i][0], cut)
    fair = [x for x, (_, ok) in zip(refused, rows, strict=True) if ok]
    unfair = [x for x, (_, ok) in zip(refused, rows, strict=True) if not ok]
    return Decision(sum(cuts) / len(cuts), sum(fair) / len(fair), sum(unfair) / len(unfair))


def check_calibratable(pipeline: Pipeline) -> tuple[str, str]:
    """The (settings section, field) of the cut the pipeline's answerer refuses by, or a
    ConfigError when that is not one cut `qa calibrate` can fit."""
    answerer: Any = pipeline.answerer
    name = answerer.name
    if name not in CALIBRATED:
        raise ConfigError(f"`qa calibrate` fits {sorted(CALIBRATED)}, not {name!r}")
    if name == "extractive" and pipeline.settings.answer.support == "learned":
        raise ConfigError("extractive is calibrated with QA_ANSWER__SUPPORT=score only")
    if name == "llamacpp" and (answerer.gate is None or answerer.refusal_model is not None):
        raise ConfigError("llamacpp is calibrated with QA_LLM__REFUSAL=first_token only")
    return CALIBRATED[name]


def refusal_signals(pipeline: Pipeline, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each question's refusal signal as its answerer reads it (nothing is generated)."""
    check_calibratable(pipeline)
    answerer: Any = pipeline.answerer
    rows = []
    for item in tqdm(items, desc="refusal signals", unit="q", file=sys.stderr):
        history = [Turn(t["role"], t["content"]) for t in item.get("history", [])]
        context, _, _ = pipeline._prepare(item["user_input"], None, None, history)
        if answerer.name == "extractive":
            value = answerer.support(context)
        elif context.passages:  # the reader's gate, as ChatAnswerer.stream reads it
            value = answerer.refusal_share(context, answerer.messages(context))[0]
        else:
            value = 1.0  # nothing retrieved: refused whatever the cut
        rows.append(
            {
                "question": item["user_input"],
                "answerable": item["kind"] != "unanswerable",
                "signal": round(float(value), 5),
            }
        )
    return rows


def calibrate(
    pipeline: Pipeline,
    items: list[dict[str, Any]],
    source: Path | str,
    write: bool = False,
    force: bool = False,
) -> dict[str, Any]:
    """Fit the cut of the pipeline's answerer on `items`; store it with `write`.

    The cut is only written when cuts fitted this way beat the cut in effect on folds they
    were not fitted on (or with `force`): where the signal does not separate the kinds, a cut
    fitted on a few questions is noise. (This cannot catch a set unlike the questions asked
    later: fit on questions about the documents that will be asked about.)
    """
    items = [i for i in items if i.get("kind") != "false_premise"]
    answerable = sum(i["kind"] != "unanswerable" for i in items)
    if min(answerable, len(items) - answerable) < MIN_EACH:
        raise InputError(
            f"calibration needs at least {MIN_EACH} answerable and {MIN_EACH} unanswerable "
            f"questions (kind 'unanswerable'); the set has {answerable} and "
            f"{len(items) - answerable}"
        )
    name = pipeline.answerer.name
    section, field = check_calibratable(pipeline)
    per_question = refusal_signals(pipeline, items)
    rows = [(r["signal"], r["answerable"]) for r in per_question]
    current = getattr(getattr(pipeline.settings, section), field)
    fitted = best_cut(name, rows)
    now = decide(name, rows, current)
    held_out = cross_validated(name, rows, min(FOLDS, answerable, len(rows) - answerable))
    better = held_out.balanced_accuracy > now.balanced_accuracy
    result: dict[str, Any] = {
        "answerer": name,
        "setting": f"{section}.{field}",
        "questions": len(rows),
        "answerable": answerable,
        "unanswerable": len(rows) - answerable,
        "current": now.as_dict(),
        "fitted": fitted.as_dict(),
        "held_out": held_out.as_dict(),
        "rows": per_question,
        "written": None,
        "not_written": None,
    }
    if write and not (better or force):
        result["not_written"] = (
            f"cuts fitted on part of these questions refused the rest no better than the cut "
            f"in effect (balanced accuracy {held_out.balanced_accuracy:.3f} against "
            f"{now.balanced_accuracy:.3f}); --force writes it anyway"
        )
    elif write:
        entry = {
            "cut": round(fitted.cut, 6),  # as scored: a coarser cut could pass a signal
            "fitted_on": str(source),
            "set_sha256": _digest(items),
            "questions": len(rows),
            "balanced_accuracy_on_fit": round(fitted.balanced_accuracy, 3),
            "balanced_accuracy_held_out": round(held_out.balanced_accuracy, 3),
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        result["written"] = str(write_calibration(pipeline.settings.store, name, entry))
    return result


def format_calibration(result: dict[str, Any]) -> str:
    """The fit as a few lines for people."""
    now, fit = result["current"], result["fitted"]
    lines = [
        f"{result['answerer']}: {result['questions']} questions "
        f"({result['answerable']} answerable, {result['unanswerable']} unanswerable)",
        f"  {'':<22}{'cut':>8}{'answerable refused':>20}{'unanswerable refused':>22}"
        f"{'balanced accuracy':>19}",
    ]
    for label, d in (
        ("in effect", now),
        ("fitted here", fit),
        (f"held out ({FOLDS} folds)", result["held_out"]),
    ):
        lines.append(
            f"  {label:<22}{d['cut']:>8.4f}{d['answerable_refused']:>20.3f}"
            f"{d['unanswerable_refused']:>22.3f}{d['balanced_accuracy']:>19.3f}"
        )
    lines.append(
        "  (fitted here: scored on the questions it was fitted on; held out: each fold refused "
        "by a cut fitted on the other folds, their mean cut shown)"
    )
    if result["written"]:
        lines.append(f"written: {result['setting']} = {fit['cut']} in {result['written']}")
    elif result["not_written"]:
        lines.append(f"not written: {result['not_written']}")
    else:
        lines.append(f"not written (add --write to use {result['setting']} = {fit['cut']})")
    return "\n".join(lines)


def _digest(items: list[dict[str, Any]]) -> str:
    text = "\n".join(f"{i['kind']}\t{i['user_input']}" for i in items)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
