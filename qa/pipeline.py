"""The core's composition root: build_pipeline(settings), then index, ask and manage documents."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from qa.catalog import Catalog, DocumentInfo
from qa.compose import AnswerContext
from qa.condense import condense_question
from qa.embeddings import Embedder
from qa.errors import DocumentNotFound, InputError, InvalidQuestion
from qa.llm import build_answerer
from qa.retrieve import Retriever
from qa.settings import Settings
from qa.store import ChunkStore
from qa.types import Answer, Chunk, Document, Turn

Progress = Callable[[int], None]


@dataclass(frozen=True)
class IndexResult:
    doc_id: str
    status: str  # "added", "replaced" or "unchanged"
    chunks: int


class Pipeline:
    """One store, one catalog, one model and one answerer, shared by every request."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.catalog = Catalog(settings.store.path / "catalog.sqlite")
        self.store = ChunkStore(settings.store, encode=lambda texts: self.embedder.encode(texts))
        self.retriever = Retriever(settings.retrieval, self.store, self.catalog)
        self.answerer = build_answerer(settings)
        self._recover()

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use."""
        return Embedder(self.settings.embeddings)

    @property
    def fingerprint(self) -> str:
        """What else, besides a document's text, decides its chunks and vectors."""
        s = self.settings.index
        return f"{self.embedder.name}|{s.chunk_tokens}|{s.overlap_tokens}"

    def close(self) -> None:
        self.catalog.close()

    # -- documents -------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self.catalog.documents()

    def document(self, doc_id: str) -> Document:
        doc = self.catalog.view().documents.get(doc_id)
        if doc is None:
            raise DocumentNotFound(f"no indexed document has the id {doc_id!r}")
        return doc

    def is_current(self, document: Document) -> bool:
        """True when this exact document is already indexed with the current settings."""
        view = self.catalog.view()
        old = view.documents.get(document.doc_id)
        return (
            old is not None
            and view.fingerprints[document.doc_id] == self.fingerprint
            and (old.sha256, old.title, old.author, old.source)
            == (document.sha256, document.title, document.author, document.source)
        )

    def embed_chunks(
        self, chunks: Sequence[Chunk], progress: Progress | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors and per-sentence vectors, in one forward pass per chunk."""
        relative = [tuple((a - c.start, b - c.start) for a, b in c.sentences) for c in chunks]
        return self.embedder.encode_chunks([c.text for c in chunks], relative, progress)

    def add_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
        vectors: tuple[np.ndarray, list[np.ndarray]] | None = None,
    ) -> IndexResult:
        """Index a document, replacing all of its earlier chunks; all or nothing.

        `vectors` may carry the output of embed_chunks(chunks) computed beforehand.
        """
        if not chunks:
            raise InputError(f"{document.source}: no text to index")
        if self.is_current(document):
            return IndexResult(document.doc_id, "unchanged", len(chunks))
        self._recover()
        old = set(self.catalog.view().by_doc.get(document.doc_id, []))
        chunk_vecs, sentence_vecs = vectors or self.embed_chunks(chunks, progress)
        new = {c.chunk_id for c in chunks}
        # Chroma first, marked pending; the catalog commit is what makes the chunks visible.
        self.catalog.mark_pending(new - old)
        self.store.upsert(list(chunks), chunk_vecs, {document.doc_id: document.title})
        self.catalog.replace_document(
            document, self.fingerprint, list(chunks), sentence_vecs, stale=old - new
        )
        self._recover()
        return IndexResult(document.doc_id, "replaced" if old else "added", len(chunks))

    def remove_document(self, doc_id: str) -> int:
        """Delete a document and all its chunks; returns how many chunks went."""
        chunks = len(self.catalog.view().by_doc.get(doc_id, []))
        self.document(doc_id)
        self.catalog.remove_document(doc_id)
        self._recover()
        return chunks

    def _recover(self) -> None:
        """Finish what an interrupted write left: delete Chroma chunks the catalog disowns."""
        pending = self.catalog.pending()
        if not pending:
            return
        live = pending & set(self.catalog.view().chunks)
        self.store.delete(pending - live)
        self.catalog.clear_pending(pending)

    # -- answering -------------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        """The question, stripped, or InvalidQuestion when it is empty or too long."""
        question = question.strip() if isinstance(question, str) else ""
        limit = self.settings.answer.max_question_chars
        if not question:
            raise InvalidQuestion("the question is empty")
        if len(question) > limit:
            raise InvalidQuestion(
                f"the question is {len(question)} characters long; the limit is {limit}"
            )
        return question

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """A cited answer to `question` from the indexed documents, or an abstention.

        With `history` (earlier turns, oldest first) a follow-up is made standalone first.
        """
        question = self.check_question(question)
        query = condense_question(question, history)
        view = self.catalog.view()
        if not view.chunks:
            raise InputError("nothing is indexed yet: index documents first (qa index PATH)")
        for doc_id in doc_ids or ():
            self.document(doc_id)
        embedder = self.embedder  # loads the model outside the timed stages on first use
        timings: dict[str, float] = {}
        began = time.perf_counter()
        vector = embedder.encode([query])[0]
        timings["embed_ms"] = _since(began)
        mark = time.perf_counter()
        view, passages = self.retriever.retrieve(query, vector, top_k, doc_ids)
        timings["retrieve_ms"] = _since(mark)
        mark = time.perf_counter()
        context = AnswerContext(question, query, vector, tuple(passages), view)
        composition = self.answerer.compose(context)
        timings["compose_ms"] = _since(mark)
        timings["total_ms"] = _since(began)
        return Answer(
            question=question,
            text=composition.text,
            abstained=composition.abstained,
            citations=composition.citations,
            passages=tuple(passages),
            backend=self.answerer.name,
            query=query,
            support=composition.support,
            timings_ms=timings,
        )


def _since(mark: float) -> float:
    return round((time.perf_counter() - mark) * 1000, 3)


def build_pipeline(settings: Settings) -> Pipeline:
    """Open the store and catalog and pick the answerer; the model loads on first use."""
    return Pipeline(settings)
