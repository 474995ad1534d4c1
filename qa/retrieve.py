"""Question -> ranked passages: dense (Chroma), lexical (BM25) and their fusion.

Every ranking orders equal scores by chunk id, so the same question over the same index
gives the same passages in the same order in any process.
"""

from collections.abc import Sequence

import numpy as np

from qa.catalog import Catalog, View
from qa.lexical import lexical_terms
from qa.settings import RetrievalSettings
from qa.store import ChunkStore
from qa.types import Passage

Ranking = list[tuple[str, float]]


def _ranked(scores: dict[str, float] | Ranking) -> Ranking:
    """Best first; equal scores by chunk id."""
    items = scores.items() if isinstance(scores, dict) else scores
    return sorted(items, key=lambda item: (-item[1], item[0]))


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
    return _ranked(fused)


def fuse_rrf(dense: Ranking, lexical: Ranking, dense_weight: float, k: int) -> Ranking:
    """Weighted reciprocal-rank fusion (dense_weight 0.5 is plain RRF, up to a constant)."""
    fused: dict[str, float] = {}
    for weight, ranking in ((dense_weight, dense), (1 - dense_weight, lexical)):
        for rank, (i, _) in enumerate(ranking, start=1):
            fused[i] = fused.get(i, 0.0) + weight / (k + rank)
    return _ranked(fused)


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
            found = self.store.search(vector, pool, doc_ids)
            view.chunks.fetch_many([i for i, _ in found])
            dense = _ranked([(i, s) for i, s in found if i in view.chunks])
        if mode in ("bm25", "hybrid"):
            lexical = self.catalog.search_lexical(
                lexical_terms(query), pool, list(doc_ids) if doc_ids else None
            )
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
        view.chunks.fetch_many([chunk_id for chunk_id, _ in fused])
        # A chunk deleted by another process since it was ranked is dropped, not an error.
        fused = [(i, s) for i, s in fused if i in view.chunks]
        passages: list[Passage] = []
        for chunk_id, score in fused:
            entry = view.chunks[chunk_id]
            doc = view.documents.get(entry.doc_id)
            if doc is None:
                continue
            passages.append(
                Passage(
                    rank=len(passages) + 1,
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
