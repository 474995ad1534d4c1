"""Check every sentence a model wrote against the passages, whatever markers it put there.

A sentence is supported by a passage when one of the passage's sentences scores at least
`min_claim_support` with it, on the same measure the extractive answerer uses: embedding
similarity mixed with the IDF-weighted share of the claim's words found in that sentence.
"""

import re
from dataclasses import dataclass

import numpy as np

from qa.compose import SIMILARITY_WEIGHT, AnswerContext, term_overlap
from qa.lexical import lexical_terms
from qa.text import split_sentences
from qa.types import Citation, Claim

_MARKERS = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+"
# "... sanctions. [1]" -> "... sanctions [1]." so the marker stays with its sentence.
_MARKER_AFTER_STOP = re.compile(rf"([.!?…][\"'”’)]*)({_MARKERS})")
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# A claim of fewer content words than this says too little to be checked (e.g. an echoed token).
MIN_CLAIM_TERMS = 2


@dataclass(frozen=True)
class Verdict:
    """A claim with the citations that bear it out (empty when none does)."""

    claim: Claim
    citations: tuple[Citation, ...]
    removed_markers: tuple[int, ...]


def split_claims(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of an answer without their [n] markers, each with the markers it carried."""
    text = _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text.strip())
    claims = []
    for start, end in split_sentences(text):
        sentence = text[start:end]
        markers = tuple(
            int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)
        )
        bare = re.sub(r"\s+([.!?,;:])", r"\1", _MARKER.sub("", sentence))
        bare = re.sub(r"\s{2,}", " ", bare).strip()
        if bare:
            claims.append((bare, tuple(dict.fromkeys(markers))))
    return claims


def _best_in_passage(
    context: AnswerContext,
    marker: int,
    vector: np.ndarray,
    terms: list[str],
    sentence_terms: list[set[str]],
) -> tuple[float, Citation]:
    passage = context.passages[marker - 1]
    entry = context.view.chunks[passage.chunk_id]
    text = context.view.documents[passage.doc_id].text
    similarities = entry.vectors @ vector
    best_score, best_span = -1.0, entry.sentences[0]
    for span, similarity, quote_terms in zip(
        entry.sentences, similarities, sentence_terms, strict=True
    ):
        score = SIMILARITY_WEIGHT * float(similarity) + (1 - SIMILARITY_WEIGHT) * term_overlap(
            terms, quote_terms, context.view
        )
        if score > best_score:
            best_score, best_span = score, span
    start, end = best_span
    citation = Citation(
        marker,
        passage.doc_id,
        passage.title,
        passage.source,
        passage.chunk_id,
        start,
        end,
        text[start:end],
    )
    return best_score, citation


def _passage_terms(context: AnswerContext) -> list[list[set[str]]]:
    """The content terms of every sentence of every passage, computed once per answer."""
    out = []
    for passage in context.passages:
        entry = context.view.chunks[passage.chunk_id]
        text = context.view.documents[passage.doc_id].text
        out.append([set(lexical_terms(text[a:b])) for a, b in entry.sentences])
    return out


def verify_answer(context: AnswerContext, text: str, threshold: float) -> list[Verdict]:
    """A verdict for every sentence of `text`: markers checked, missing support looked for."""
    claims = split_claims(text)
    if not claims or context.encode is None or not context.passages:
        return [Verdict(Claim(c, m, False, 0.0), (), m) for c, m in claims]
    vectors = context.encode([c for c, _ in claims])
    passage_terms = _passage_terms(context)
    verdicts = []
    for (claim, markers), vector in zip(claims, vectors, strict=True):
        terms = lexical_terms(claim)
        valid = [m for m in markers if 1 <= m <= len(context.passages)]
        removed = tuple(m for m in markers if m not in valid)
        scored = {
            m: _best_in_passage(context, m, vector, terms, passage_terms[m - 1])
            for m in range(1, len(context.passages) + 1)
        }
        checkable = len(set(terms)) >= MIN_CLAIM_TERMS
        backed = [m for m in valid if checkable and scored[m][0] >= threshold]
        if not backed and checkable:
            # Uncited or wrongly cited: credit the passage that supports it best, if any does.
            best = max(scored, key=lambda m: scored[m][0])
            backed = [best] if scored[best][0] >= threshold else []
        support = max((scored[m][0] for m in backed), default=max(s for s, _ in scored.values()))
        claim_out = Claim(claim, tuple(backed), bool(backed), round(float(support), 4))
        verdicts.append(Verdict(claim_out, tuple(scored[m][1] for m in backed), removed))
    return verdicts
