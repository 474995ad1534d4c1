"""Check every sentence a model wrote against the passages, whatever markers it put there.

Each claim's evidence is located by the measure the extractive answerer uses (embedding
similarity mixed with the IDF-weighted share of its words found in a passage sentence). Who
decides support: an entailment judge when one is given (a model that reads, so contradicted and
negated claims fail), otherwise that score against `min_claim_support`.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from qa.claims import causal_premise, split_claims
from qa.compose import SIMILARITY_WEIGHT, AnswerContext, term_overlap
from qa.lexical import lexical_terms
from qa.locate import fold
from qa.names import missing_names
from qa.types import Citation, Claim

# A claim of fewer content words than this says too little to be checked (e.g. an echoed token).
MIN_CLAIM_TERMS = 2
# Passage sentences shown to the judge per claim: its best matches by the score.
EVIDENCE_PER_CLAIM = 3
# (claim, the text it is checked as, its markers, its terms, passage number -> best match)
ScoredClaim = tuple[str, str, tuple[int, ...], list[str], dict[int, tuple[float, Citation]]]
# claims, evidence sentences -> P(supported) per claim
Judge = Callable[[Sequence[str], Sequence[str]], list[float]]


@dataclass(frozen=True)
class Verdict:
    """A claim with the citations that bear it out (empty when none does)."""

    claim: Claim
    citations: tuple[Citation, ...]
    removed_markers: tuple[int, ...]


def as_checkable(claim: str, question: str) -> str:
    """The claim as it is checked: a short reply ("Seoul.") says nothing on its own, so it is
    checked as the answer to the question it replies to, unless it only echoes the question."""
    own = set(lexical_terms(claim))
    if len(own) >= MIN_CLAIM_TERMS or not own or own <= set(lexical_terms(question)):
        return claim
    return f'The answer to "{question.strip()}" is: {claim}'


def _bears(scored: tuple[float, Citation], claim: str, check: str, threshold: float) -> bool:
    """The score reaches the threshold; a short reply's own words also stand in the sentence
    (the question's words, which the score counts too, cannot carry it alone)."""
    score, citation = scored
    if score < threshold:
        return False
    return check == claim or set(lexical_terms(claim)) <= set(lexical_terms(citation.quote))


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


def verify_answer(
    context: AnswerContext,
    text: str,
    threshold: float,
    judge: Judge | None = None,
    min_entailment: float = 0.5,
    check_names: bool = False,
) -> list[Verdict]:
    """A verdict for every sentence of `text`: markers checked, missing support looked for.

    With `check_names`, a supported claim whose names or numbers its evidence lacks is turned
    down (qa.names).
    """
    claims = split_claims(text)
    if not claims or context.encode is None or not context.passages:
        return [Verdict(Claim(c, m, False, 0.0), (), m) for c, m in claims]
    checked = [as_checkable(c, context.query) for c, _ in claims]
    vectors = context.encode(checked)
    passage_terms = _passage_terms(context)
    scored_claims = []
    for (claim, markers), check, vector in zip(claims, checked, vectors, strict=True):
        terms = lexical_terms(check)
        scored = {
            m: _best_in_passage(context, m, vector, terms, passage_terms[m - 1])
            for m in range(1, len(context.passages) + 1)
        }
        scored_claims.append((claim, check, markers, terms, scored))
    if judge is not None:
        verdicts = _judged(scored_claims, judge, min_entailment, len(context.passages))
    else:
        verdicts = _scored(scored_claims, threshold, len(context.passages))
    if not check_names:
        return verdicts
    passages = len(context.passages)
    asked = f"{context.question} {context.query}"
    texts = [p.text for p in context.passages] + [p.title for p in context.passages]
    return [
        unsupported(v)
        if v.claim.supported and missing_names(c[0], _evidence(c, passages), asked, texts)
        else v
        for v, c in zip(verdicts, scored_claims, strict=True)
    ]


def _evidence(scored_claim: ScoredClaim, passages: int) -> list[str]:
    """The passage sentences a claim is checked against: those its markers cite, then its best
    matches, EVIDENCE_PER_CLAIM in all."""
    _, _, markers, _, scored = scored_claim
    ranked = sorted(scored, key=lambda m: scored[m][0], reverse=True)
    cited = [m for m in markers if 1 <= m <= passages]
    chosen = [*cited, *ranked][:EVIDENCE_PER_CLAIM]
    return list(dict.fromkeys(scored[m][1].quote for m in chosen))


def unsupported(verdict: Verdict) -> Verdict:
    """The verdict turned down, its markers and citations gone (e.g. a name or number of the
    claim is not in its evidence)."""
    claim = replace(verdict.claim, markers=(), supported=False)
    return Verdict(claim, (), verdict.removed_markers)


def _scored(scored_claims: list[ScoredClaim], threshold: float, passages: int) -> list[Verdict]:
    """Support decided by the embedding-and-overlap score against `threshold`."""
    verdicts = []
    for claim, check, markers, terms, scored in scored_claims:
        valid = [m for m in markers if 1 <= m <= passages]
        removed = tuple(m for m in markers if m not in valid)
        checkable = len(set(terms)) >= MIN_CLAIM_TERMS
        bearing = [m for m in scored if _bears(scored[m], claim, check, threshold)]
        backed = [m for m in valid if checkable and m in bearing]
        if not backed and checkable:
            # Uncited or wrongly cited: credit the passage that supports it best, if any does.
            best = max(scored, key=lambda m: scored[m][0])
            backed = [best] if best in bearing else []
        support = max((scored[m][0] for m in backed), default=max(s for s, _ in scored.values()))
        claim_out = Claim(claim, tuple(backed), bool(backed), round(float(support), 4))
        verdicts.append(Verdict(claim_out, tuple(scored[m][1] for m in backed), removed))
    return verdicts


def _judged(
    scored_claims: list[ScoredClaim],
    judge: Judge,
    min_entailment: float,
    passages: int,
) -> list[Verdict]:
    """Support decided by the judge over each claim's best-matching passage sentences.

    Each claim is judged as its checked text (see as_checkable). All claims share
    one evidence list (the union of their best matches), read once. A claim
    that is word for word a whole passage sentence is that sentence's own statement: it is
    supported without asking (a model that copies a sentence is common, and a call is seconds).
    """
    evidence: dict[str, None] = {}
    known: list[float | None] = []
    for scored_claim in scored_claims:
        claim, scored = scored_claim[0], scored_claim[4]
        copied = any(fold(citation.quote) == fold(claim) for _, citation in scored.values())
        known.append(1.0 if copied else None)
        if not copied:
            evidence.update(dict.fromkeys(_evidence(scored_claim, passages)))
    asked = [check for (_, check, *_), p in zip(scored_claims, known, strict=True) if p is None]
    # "X because Y" also asserts X alone: a judge reading the whole tends to let a false X
    # ride on a true Y ("Japan welcomed the pact because it put nations on high alert").
    premises = [causal_premise(check) for check in asked]
    answers = judge(asked + [x for x in premises if x], list(evidence)) if asked else []
    whole, alone = answers[: len(asked)], iter(answers[len(asked) :])
    judged = iter(min(p, next(alone)) if x else p for p, x in zip(whole, premises, strict=True))
    probabilities = [next(judged) if p is None else p for p in known]
    verdicts = []
    for (claim, _, markers, terms, scored), p in zip(scored_claims, probabilities, strict=True):
        valid = [m for m in markers if 1 <= m <= passages]
        removed = tuple(m for m in markers if m not in valid)
        supported = p >= min_entailment and len(set(terms)) >= MIN_CLAIM_TERMS
        # Cite the cited passage that matches best, else the best-matching passage overall.
        pool = valid or list(scored)
        best = max(pool, key=lambda m: scored[m][0])
        if valid and scored[best][0] < max(s for s, _ in scored.values()) - 0.15:
            best = max(scored, key=lambda m: scored[m][0])  # the marker pointed elsewhere
        backed = (best,) if supported else ()
        claim_out = Claim(claim, backed, supported, round(float(p), 4))
        verdicts.append(Verdict(claim_out, tuple(scored[m][1] for m in backed), removed))
    return verdicts
