"""Question + passages -> a cited answer or an honest abstention, by the chosen answerer."""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa.answer_type import expected_type, has_type
from qa.catalog import View
from qa.lexical import lexical_terms
from qa.settings import AnswerSettings
from qa.types import Citation, Claim, Passage

# How the sentence support score mixes meaning and wording; chosen with the abstention threshold
# by eval/bench/calibrate_abstention.py (eval/BENCHMARKS.md).
SIMILARITY_WEIGHT = 0.6
MIN_SENTENCE_WORDS = 4
# Stems that frame a question about a text rather than name its subject.
_QUESTION_FRAME = frozenset(
    "say said tell talk think mention describ explain write wrote argu accord author document "
    "articl text claim suggest state view opinion point main".split()
)


@dataclass(frozen=True)
class AnswerContext:
    """Everything an answerer may use: the question, its vector and the passages found."""

    question: str
    query: str
    vector: np.ndarray
    passages: tuple[Passage, ...]
    view: View
    encode: Callable[[Sequence[str]], np.ndarray] | None = None


@dataclass(frozen=True)
class Composition:
    """What an answerer returns: answer text with [n] markers, its citations and support."""

    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    support: float
    claims: tuple[Claim, ...] = ()
    fallback: str | None = None


class Answerer(Protocol):
    name: str

    def compose(self, context: AnswerContext) -> Composition: ...

    def problem(self) -> str | None:
        """Why the answerer cannot answer right now, or None when it can."""
        ...


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, scored against the question."""

    marker: int
    passage: Passage
    start: int
    end: int
    quote: str
    vector: np.ndarray
    similarity: float
    overlap: float
    learned: float | None = None  # P(answers) from the support model, when one is used

    @property
    def score(self) -> float:
        if self.learned is not None:
            return self.learned
        return SIMILARITY_WEIGHT * self.similarity + (1 - SIMILARITY_WEIGHT) * self.overlap

    def citation(self) -> Citation:
        p = self.passage
        return Citation(
            self.marker, p.doc_id, p.title, p.source, p.chunk_id, self.start, self.end, self.quote
        )


def term_weights(question_terms: list[str], view: View) -> dict[str, float]:
    """The idf of each of the question's terms, in term order.

    A term no indexed chunk contains weighs as much as the rarest term: the documents
    cannot be about it, which is what makes an answer to it unsupported.
    """
    ceiling = math.log(1 + (len(view.bm25) + 0.5) / 0.5)
    view.bm25.frequencies(question_terms)  # one read for all of them
    return {t: view.bm25.idf(t) or ceiling for t in sorted(set(question_terms))}


def weighted_overlap(weights: dict[str, float], sentence_terms: set[str]) -> float:
    """The share of the question's term weights that the sentence holds."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in sentence_terms) / total if total else 0.0


def term_overlap(question_terms: list[str], sentence_terms: set[str], view: View) -> float:
    """IDF-weighted share of the question's terms found in the sentence (see term_weights)."""
    if not question_terms:
        return 0.0
    return weighted_overlap(term_weights(question_terms, view), sentence_terms)


_HEADING_MARK = re.compile(r"^\s*(?:#{1,6}\s|[-=*_]{3,}\s*$)")
_HEADING_MAX_WORDS = 12


def is_heading(text: str, start: int, end: int, title: str) -> bool:
    """True when text[start:end] is a title or heading line, which is never an answer.

    That is: the document's title, a Markdown heading, or a short line of its own that ends
    without sentence punctuation (a heading, caption or label).
    """
    sentence = text[start:end].strip()
    bare = sentence.lstrip("#").strip().rstrip(":").strip()
    if not bare or _HEADING_MARK.match(sentence):
        return True
    if title and bare.casefold() == title.strip().casefold():
        return True
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end].strip()
    whole_line = line == sentence
    return (
        whole_line
        and len(sentence.split()) <= _HEADING_MAX_WORDS
        and sentence[-1] not in ".!?…\"'”’)"
    )


def score_sentences(context: AnswerContext) -> list[Candidate]:
    """Every distinct answer-like sentence of the passages with its support score, best first.

    Headings and titles are left out (they help retrieval, never answer), as are fragments
    too short to state anything, so the first candidate is the one the decision looks at.
    """
    question_terms = [t for t in lexical_terms(context.question) if t not in _QUESTION_FRAME]
    weights = term_weights(question_terms, context.view)
    seen: set[tuple[str, int, int]] = set()
    candidates = []
    for marker, passage in enumerate(context.passages, start=1):
        entry = context.view.chunks[passage.chunk_id]
        document = context.view.documents[passage.doc_id]
        text = document.text
        similarities = entry.vectors @ context.vector
        for (start, end), vector, similarity in zip(
            entry.sentences, entry.vectors, similarities, strict=True
        ):
            key = (passage.doc_id, start, end)
            if key in seen:
                continue
            seen.add(key)
            quote = text[start:end]
            if len(quote.split()) < MIN_SENTENCE_WORDS or is_heading(
                text, start, end, document.title
            ):
                continue
            overlap = weighted_overlap(weights, set(lexical_terms(quote)))
            candidates.append(
                Candidate(marker, passage, start, end, quote, vector, float(similarity), overlap)
            )
    return sorted(candidates, key=lambda c: c.score, reverse=True)


def typed_candidates(candidates: list[Candidate], question: str) -> list[Candidate]:
    """The candidates holding the kind of answer the question asks for (when, how many...)."""
    kind = expected_type(question)
    return [c for c in candidates if has_type(c.quote, kind)]


def select_sentences(candidates: list[Candidate], settings: AnswerSettings) -> list[Candidate]:
    """The best sentence and those close behind it, skipping near-repeats.

    `candidates` come best first; the first is the one whose score decides to answer.
    """
    usable = candidates
    if not usable or usable[0].score < settings.min_support:
        return []
    chosen = [usable[0]]
    for candidate in usable[1:]:
        if len(chosen) == settings.max_sentences:
            break
        if candidate.score < max(settings.min_support, usable[0].score - settings.margin):
            break
        if any(
            candidate.quote == c.quote or float(candidate.vector @ c.vector) > 0.92 for c in chosen
        ):
            continue
        chosen.append(candidate)
    return chosen
