"""Scoring one answer: the support check (the independent judge) and a results row."""

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import numpy as np

from eval.grounding import metrics
from eval.grounding.summary import should_abstain
from qa.compose import AnswerContext
from qa.pipeline import Pipeline
from qa.types import Passage
from qa.verify import Judge, verify_answer

# -- the support check -----------------------------------------------------------------


_PASSAGE_FIELDS = {f.name for f in fields(Passage)}


class SupportJudge:
    """Is a claim supported by some sentence of the evidence? qa.verify's check decides, with
    the reader as entailment judge when one is given."""

    def __init__(self, pipeline: Pipeline, threshold: float, entail: Judge | None = None) -> None:
        self.pipeline = pipeline
        self.threshold = threshold
        self.entail = entail
        self.unknown_passages = 0
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Sentence vectors, each text encoded once per run (a claim is judged several times)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = self.pipeline.embedder.encode(missing)
            self._vectors.update(zip(missing, vectors, strict=True))
        return np.stack([self._vectors[t] for t in texts])

    def __call__(self, claim: str, evidence: Sequence[dict[str, Any]]) -> bool:
        view = self.pipeline.catalog.view()
        passages = []
        for p in evidence:
            if p.get("chunk_id") in view.chunks:
                passages.append(Passage(**{k: v for k, v in p.items() if k in _PASSAGE_FIELDS}))
            else:
                self.unknown_passages += 1  # not in the local index: cannot be judged
        if not passages:
            return False
        vector = self.encode([claim])[0]
        context = AnswerContext(claim, claim, vector, tuple(passages), view, self.encode)
        verdicts = verify_answer(context, claim, self.threshold, self.entail)
        return bool(verdicts) and all(v.claim.supported for v in verdicts)


# -- scoring ---------------------------------------------------------------------------


def locate(quote: str, sources: Sequence[str], documents: dict[str, str]) -> metrics.Located:
    """A reference quote with its span in the first named document that contains it."""
    for source in sources:
        start = documents.get(source, "").find(quote)
        if start >= 0:
            return metrics.Located(quote, source, start, start + len(quote))
    return metrics.Located(quote)


def score_item(
    item: dict[str, Any],
    answer: dict[str, Any],
    judge: metrics.Judge,
    documents: dict[str, str],
    k_values: Sequence[int],
) -> dict[str, Any]:
    """One results row: the shared record fields, the answer and its scores and flags."""
    passages = answer["passages"]
    claims = [] if answer["abstained"] else metrics.split_claims(answer["text"])
    found = [
        metrics.Located(p["text"], p.get("source"), p.get("start"), p.get("end")) for p in passages
    ]
    references = [locate(q, item["sources"], documents) for q in item["reference_contexts"]]
    ranks = metrics.retrieval_ranks(references, found)
    cited = metrics.citation_scores(claims, passages, judge)
    said = "" if answer["abstained"] else metrics.answer_text(answer["text"])
    answerable = not should_abstain(item)
    golds = [item["reference"], *item.get("answers", [])]
    scores: dict[str, Any] = {f"recall@{k}": metrics.recall_at_k(ranks, k) for k in k_values}
    scores |= {
        "mrr": metrics.reciprocal_rank(ranks),
        "citation_precision": cited.precision,
        "citation_recall": cited.recall,
        "faithfulness": metrics.faithfulness(claims, passages, judge),
        "token_f1": metrics.token_f1(said, golds) if answerable else None,
        "key_fact_recall": metrics.key_fact_recall(said, item["key_facts"]) if answerable else None,
    }
    flags = []
    if answer.get("error"):
        flags.append("error")
    if answer.get("fallback"):
        flags.append("fallback")
    if answerable and answer["abstained"] and item["kind"] != "false_premise":
        flags.append("abstained on an answerable question")
    if not answerable and not answer["abstained"]:
        flags.append("answered an unanswerable question")
    if ranks and None in ranks:
        flags.append("reference context not retrieved")
    if cited.recall is not None and not all(cited.supported):
        flags.append("unsupported sentence")
    if scores["key_fact_recall"] is not None and scores["key_fact_recall"] < 1 and claims:
        flags.append("missing key facts")
    return {
        "user_input": item["user_input"],
        "retrieved_contexts": [p["text"] for p in passages],
        "response": answer["text"],
        "reference": item["reference"],
        "reference_contexts": item["reference_contexts"],
        "kind": item["kind"],
        "history": item["history"],
        "key_facts": item["key_facts"],
        "sources": item["sources"],
        "abstained": answer["abstained"],
        "citations": answer["citations"],
        "passages": [{k: v for k, v in p.items() if k != "text"} for p in passages],
        "backend": answer.get("backend"),
        "query": answer.get("query"),
        "support": answer.get("support"),
        "fallback": answer.get("fallback"),
        "timings_ms": answer.get("timings_ms", {}),
        "error": answer.get("error"),
        "reference_ranks": ranks,
        "claims_supported": list(cited.supported),
        "metrics": scores,
        "flags": flags,
    }


# -- summary and floors ----------------------------------------------------------------
