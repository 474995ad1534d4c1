"""Question -> ranked passages: dense (Chroma), lexical (BM25) and their fusion."""

from collections.abc import Sequence

import numpy as np

from qa.catalog import Catalog, View
from qa.lexical import lexical_terms
from qa.settings import RetrievalSettings
from qa.store import ChunkStore
from qa.types import Passage

Ranking = list[tuple[str, float]]


def _min_max(ranking: Ranking) -> dict[str, float]:
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    low, high = min(scores), max(scores)
    spread = high - low
    return {i: (s - low) / spread if spread > 0 else 1.0 for i, s in ranking}


def fuse_convex(dense: Ranking, lexical: Ranking, dense_weight: float) -> Ranking:
    """Weighted sum of min-max normalised scores; a ranker that missed a chunk gives it 0."""
    d, b = _min_max(dense), _min_max(lexical)
    fused = {i: dense_weight * d.get(i, 0.0) + (1 - dense_weight) * b.get(i, 0.0) for i in d | b}
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def fuse_rrf(dense: Ranking, lexical: Ranking, dense_weight: float, k: int) -> Ranking:
    """Weighted reciprocal-rank fusion (dense_weight 0.5 is plain RRF, up to a constant)."""
    fused: dict[str, float] = {}
    for weight, ranking in ((dense_weight, dense), (1 - dense_weight, lexical)):
        for rank, (i, _) in enumerate(ranking, start=1):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


class Retriever:
    """Finds the passages for a question with the configured ranker."""

    def __init__(self, settings: RetrievalSettings, store: ChunkStore, catalog: Catalog) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog

    def rank(
        self,
        query: str,
        vector: np.ndarray,
        limit: int,
        doc_ids: Sequence[str] | None = None,
        mode: str | None = None,
    ) -> tuple[View, Ranking, Ranking, Ranking]:
        """Fused, dense and lexical rankings of committed chunks (best first)."""
        mode = mode or self.settings.mode
        view = self.catalog.view()
        pool = max(limit, self.settings.candidates)
        dense: Ranking = []
        lexical: Ranking = []
        if mode in ("dense", "hybrid"):
            # Chunks Chroma holds but the catalog does not (an unfinished write) are not results.
            dense = [
                (i, s) for i, s in self.store.search(vector, pool, doc_ids) if i in view.chunks
            ]
        if mode in ("bm25", "hybrid"):
            allowed = {c for d in doc_ids for c in view.by_doc.get(d, [])} if doc_ids else None
            lexical = view.bm25.search(lexical_terms(query), pool, allowed)
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = lexical
        elif self.settings.fusion == "rrf":
            fused = fuse_rrf(dense, lexical, self.settings.dense_weight, self.settings.rrf_k)
        else:
            fused = fuse_convex(dense, lexical, self.settings.dense_weight)
        return view, fused[:limit], dense, lexical

    def retrieve(
        self,
        query: str,
        vector: np.ndarray,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> tuple[View, list[Passage]]:
        """The top passages for a question, with their fused and per-ranker scores."""
        view, fused, dense, lexical = self.rank(
            query, vector, top_k or self.settings.top_k, doc_ids
        )
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        passages = []
        for rank, (chunk_id, score) in enumerate(fused, start=1):
            entry = view.chunks[chunk_id]
            doc = view.documents[entry.doc_id]
            passages.append(
                Passage(
                    rank=rank,
                    chunk_id=chunk_id,
                    doc_id=doc.doc_id,
                    title=doc.title,
                    source=doc.source,
                    start=entry.start,
                    end=entry.end,
                    text=doc.text[entry.start : entry.end],
                    score=round(float(score), 6),
                    dense_score=_rounded(dense_scores.get(chunk_id)),
                    lexical_score=_rounded(lexical_scores.get(chunk_id)),
                )
            )
        return view, passages


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 6)
