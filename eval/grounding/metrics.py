"""Grounding metrics as pure functions; definitions in eval/README.md.

Claims are checked by a `Judge(claim, evidence) -> bool` passed in, so the functions stay
pure: the runner passes the project's own support check, tests pass hand-made ones.
"""

import math
import re
import string
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from qa import claims

E = TypeVar("E")
Judge = Callable[[str, Sequence[Any]], bool]
KeyFact = str | Sequence[str]

_ARTICLES = re.compile(r"\b(a|an|the)\b")


# -- answers as claims -----------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One answer sentence without its [n] markers, and the passage numbers it cites."""

    text: str
    markers: tuple[int, ...]


def split_claims(answer: str) -> list[Claim]:
    """The answer's sentences without markers, each with the passages it cites (by qa.claims)."""
    return [Claim(text, markers) for text, markers in claims.split_claims(answer)]


def answer_text(answer: str) -> str:
    """The answer without its citation markers."""
    return " ".join(c.text for c in split_claims(answer))


# -- retrieval -------------------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """A piece of text and, when known, where it sits: source name and character span."""

    text: str
    source: str | None = None
    start: int | None = None
    end: int | None = None


def span_overlap(reference: Located, passage: Located) -> float:
    """Share of the reference's characters that lie inside the passage (0 when unknown)."""
    a, b = reference, passage
    if a.source is None or a.source != b.source or None in (a.start, a.end, b.start, b.end):
        return 0.0
    shared = min(a.end, b.end) - max(a.start, b.start)  # type: ignore[type-var, operator]
    length = a.end - a.start  # type: ignore[operator]
    return max(shared, 0) / length if length > 0 else 0.0


def context_found(reference: Located, passage: Located, min_overlap: float = 0.5) -> bool:
    """A reference context is retrieved by a passage that contains its text or most of its span."""
    return reference.text in passage.text or span_overlap(reference, passage) >= min_overlap


def retrieval_ranks(references: Sequence[Located], passages: Sequence[Located]) -> list[int | None]:
    """For each reference context, the 1-based rank of the first passage that retrieves it."""
    ranks: list[int | None] = []
    for reference in references:
        hit = next((i for i, p in enumerate(passages, 1) if context_found(reference, p)), None)
        ranks.append(hit)
    return ranks


def recall_at_k(ranks: Sequence[int | None], k: int) -> float | None:
    """Share of the reference contexts retrieved in the top k (None without references)."""
    if not ranks:
        return None
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks)


def reciprocal_rank(ranks: Sequence[int | None]) -> float | None:
    """1 / rank of the first passage that retrieves any reference context; 0 when none does."""
    if not ranks:
        return None
    found = [r for r in ranks if r is not None]
    return 1 / min(found) if found else 0.0


# -- citations and faithfulness --------------------------------------------------------


@dataclass(frozen=True)
class CitationScores:
    precision: float | None
    recall: float | None
    supported: tuple[bool, ...]  # per claim: fully supported by its own citations


def citation_scores(claims: Sequence[Claim], passages: Sequence[E], judge: Judge) -> CitationScores:
    """ALCE citation recall and precision of one answer.

    Recall: share of claims that the union of their cited passages supports (a claim without
    citations is unsupported). Precision: share of citations that are needed, where a citation
    of a supported claim is needed unless it does not support the claim alone and the claim's
    other citations support it without it; every citation of an unsupported claim is wrong.
    A marker that names no retrieved passage cites nothing.
    """
    if not claims:
        return CitationScores(None, None, ())
    supported: list[bool] = []
    good = total = 0
    for claim in claims:
        cited = [passages[m - 1] for m in claim.markers if 1 <= m <= len(passages)]
        total += len(claim.markers)
        joint = bool(cited) and judge(claim.text, cited)
        supported.append(joint)
        if not joint:
            continue
        valid = [m for m in claim.markers if 1 <= m <= len(passages)]
        for i, marker in enumerate(valid):
            rest = [passages[m - 1] for j, m in enumerate(valid) if j != i]
            if not (rest and judge(claim.text, rest)) or judge(claim.text, [passages[marker - 1]]):
                good += 1
    precision = good / total if total else None
    return CitationScores(precision, sum(supported) / len(claims), tuple(supported))


def faithfulness(claims: Sequence[Claim], passages: Sequence[E], judge: Judge) -> float | None:
    """Share of claims supported by the retrieved passages taken together (None if no claims)."""
    if not claims:
        return None
    return sum(1 for c in claims if passages and judge(c.text, passages)) / len(claims)


# -- correctness -----------------------------------------------------------------------


def normalize_answer(text: str) -> list[str]:
    """SQuAD-style tokens: lower case, no punctuation, no articles."""
    text = "".join(
        " " if unicodedata.category(ch).startswith("P") or ch in string.punctuation else ch
        for ch in text.lower()
    )
    return _ARTICLES.sub(" ", text).split()


def token_f1(prediction: str, references: Iterable[str]) -> float:
    """Best token F1 of the prediction against any reference (0 for an empty prediction)."""
    predicted = normalize_answer(prediction)
    best = 0.0
    for reference in references:
        gold = normalize_answer(reference)
        common = sum((Counter(predicted) & Counter(gold)).values())
        if not predicted or not gold or not common:
            continue
        precision, recall = common / len(predicted), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def key_fact_recall(prediction: str, key_facts: Sequence[KeyFact]) -> float | None:
    """Share of key facts the answer states; a fact given as a list matches any of its forms."""
    if not key_facts:
        return None
    said = f" {' '.join(normalize_answer(prediction))} "
    found = 0
    for fact in key_facts:
        forms = [fact] if isinstance(fact, str) else list(fact)
        if any(f" {' '.join(normalize_answer(f))} " in said for f in forms if f.strip()):
            found += 1
    return found / len(key_facts)


# -- abstention ------------------------------------------------------------------------


def abstention_scores(should_abstain: Sequence[bool], abstained: Sequence[bool]) -> dict[str, Any]:
    """Precision and recall of abstaining, with unanswerable questions as the positives."""
    pairs = list(zip(should_abstain, abstained, strict=True))
    tp = sum(1 for s, a in pairs if s and a)
    fp = sum(1 for s, a in pairs if not s and a)
    fn = sum(1 for s, a in pairs if s and not a)
    answerable = sum(1 for s, _ in pairs if not s)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall
        else None
    )
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_abstention_rate": fp / answerable if answerable else None,
        "true_abstentions": tp,
        "false_abstentions": fp,
        "missed_abstentions": fn,
    }


# -- latency and aggregation -----------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0-100), interpolating linearly between ranks."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_by_stage(timings: Sequence[Mapping[str, float]]) -> dict[str, dict[str, float | None]]:
    """p50, p95 and mean per stage over the questions that report that stage."""
    stages: dict[str, list[float]] = {}
    for row in timings:
        for stage, ms in row.items():
            stages.setdefault(stage, []).append(float(ms))
    return {
        stage: {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "mean": sum(values) / len(values),
        }
        for stage, values in stages.items()
    }


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the defined values; None when there are none."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None
