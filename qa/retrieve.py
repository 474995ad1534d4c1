"""Question -> ranked passages: dense (Chroma), lexical (BM25) and their fusion.

The lexical search needs no vector, so `start` runs it in a worker thread while the
question is embedded; `finish` adds the dense ranking and fuses. `rank` and `retrieve`
do both in the calling thread, with the same results.

Every ranking orders equal scores by chunk id, so the same question over the same index
gives the same passages in the same order in any process.
"""

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

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


# Threads that run lexical searches while questions are embedded: SQLite and torch both
# release the GIL, so on two cores the search costs the answer nothing. One per core here.
LEXICAL_WORKERS = 2


@dataclass(frozen=True)
class Started:
    """A retrieval begun before the question's vector exists: its view and lexical search."""

    query: str
    limit: int
    doc_ids: tuple[str, ...] | None
    mode: str
    view: View
    lexical: "Future[Ranking]"


class Retriever:
    """Finds the passages for a question with the configured ranker."""

    def __init__(self, settings: RetrievalSettings, store: ChunkStore, catalog: Catalog) -> None:
        self.settings = settings
        self.store = store
        self.catalog = catalog
        # A pool of its own: each worker keeps one catalog read connection (thread-local).
        self._workers = ThreadPoolExecutor(LEXICAL_WORKERS, thread_name_prefix="qa-lexical")

    def close(self) -> None:
        self._workers.shutdown(wait=True)

    def start(
        self,
        query: str,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        mode: str | None = None,
        parallel: bool = True,
    ) -> Started:
        """Open the question's view and begin its lexical search (in a worker if `parallel`)."""
        mode = mode or self.settings.mode
        limit = top_k or self.settings.top_k
        ids = tuple(doc_ids) if doc_ids else None
        view = self.catalog.view()
        pool = max(limit, self.settings.candidates)
        lexical: Future[Ranking] = Future()
        if mode == "dense":
            lexical.set_result([])
        elif parallel:
            lexical = self._workers.submit(self._search_lexical, view, query, pool, ids)
        else:
            lexical.set_result(self._search_lexical(view, query, pool, ids))
        return Started(query, limit, ids, mode, view, lexical)

    def _search_lexical(
        self, view: View, query: str, pool: int, doc_ids: tuple[str, ...] | None
    ) -> Ranking:
        terms = lexical_terms(query)
        # Read through the view, which keeps them: composing weighs the same terms by idf.
        frequencies = view.bm25.frequencies(terms)
        return self.catalog.search_lexical(
            terms, pool, list(doc_ids) if doc_ids else None, frequencies
        )

    def ranked(self, started: Started, vector: np.ndarray) -> tuple[Ranking, Ranking, Ranking]:
        """Fused, dense and lexical rankings of committed chunks (best first)."""
        mode, view = started.mode, started.view
        pool = max(started.limit, self.settings.candidates)
        dense: Ranking = []
        if mode in ("dense", "hybrid"):
            # Chunks Chroma holds but the catalog does not (an unfinished write) are not results.
            found = self.store.search(vector, pool, started.doc_ids)
            listed = view.chunks.listed([i for i, _ in found])
            dense = _ranked([(i, s) for i, s in found if i in listed])
        lexical = started.lexical.result()
        if mode == "dense":
            fused = dense
        elif mode == "bm25":
            fused = lexical
        elif self.settings.fusion == "rrf":
            fused = fuse_rrf(dense, lexical, self.settings.dense_weight, self.settings.rrf_k)
        else:
            fused = fuse_convex(dense, lexical, self.settings.dense_weight)
        return fused[: started.limit], dense, lexical

    def rank(
        self,
        query: str,
        vector: np.ndarray,
        limit: int,
        doc_ids: Sequence[str] | None = None,
        mode: str | None = None,
    ) -> tuple[View, Ranking, Ranking, Ranking]:
        """The view and the fused, dense and lexical rankings, computed in this thread."""
        started = self.start(query, limit, doc_ids, mode, parallel=False)
        return (started.view, *self.ranked(started, vector))

    def retrieve(
        self,
        query: str,
        vector: np.ndarray,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> tuple[View, list[Passage]]:
        """The top passages for a question, computed in this thread."""
        return self.finish(self.start(query, top_k, doc_ids, parallel=False), vector)

    def finish(self, started: Started, vector: np.ndarray) -> tuple[View, list[Passage]]:
        """The top passages of a started retrieval, with their fused and per-ranker scores."""
        fused, dense, lexical = self.ranked(started, vector)
        view = started.view
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        # One query for the passages' rows, sentence vectors included: composing reads them.
        view.chunks.fetch_many([chunk_id for chunk_id, _ in fused], vectors=True)
        # A chunk deleted by another process since it was ranked is dropped, not an error.
        fused = [(i, s) for i, s in fused if i in view.chunks]
        view.documents.fetch_many([view.chunks[i].doc_id for i, _ in fused])
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
