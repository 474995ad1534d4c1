"""The core's composition root: build_pipeline(settings), then index, ask and manage documents."""

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from functools import cached_property
from typing import Any

import numpy as np

from qa.calibration import apply_calibration
from qa.catalog import Catalog, DocumentInfo
from qa.compose import AnswerContext, Composition
from qa.condense import condense_question
from qa.embeddings import Embedder
from qa.errors import DocumentNotFound, InputError, InvalidQuestion
from qa.llm import build_answerer
from qa.retrieve import Retriever
from qa.settings import Settings
from qa.store import ChunkStore
from qa.types import Answer, Chunk, Document, Turn
from qa.write import DocumentWriter, Exclusive, IndexResult, StagedDocument

# Bumped when chunking changes, so `qa index` replaces chunks cut the old way.
CHUNKER_VERSION = "chunker-2"
Progress = Callable[[int], None]
StreamEvent = tuple[str, Any]


class Pipeline:
    """One store, one catalog, one model and one answerer, shared by every request."""

    def __init__(self, settings: Settings) -> None:
        # Refusal cuts fitted on this collection (qa calibrate) replace the defaults.
        settings, _ = apply_calibration(settings)
        self.settings = settings
        self.catalog = Catalog(settings.store.path / "catalog.sqlite")
        self.store = ChunkStore(settings.store, encode=lambda texts: self.embedder.encode(texts))
        self.retriever = Retriever(settings.retrieval, self.store, self.catalog)
        self.answerer = build_answerer(settings)
        self.writer = DocumentWriter(self.store, self.catalog)
        self.writer.recover()
        self._encoder_checked = False

    @cached_property
    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use."""
        return Embedder(self.settings.embeddings)

    @cached_property
    def indexing_embedder(self) -> Embedder:
        """The same model with a tokenizer of its own, for indexing beside questions."""
        return self.embedder.fork(self.settings.service.ingest_threads)

    @property
    def fingerprint(self) -> str:
        """What else, besides a document's text, decides its chunks and vectors."""
        s = self.settings.index
        return f"{self.embedder.name}|{s.chunk_tokens}|{s.overlap_tokens}|{CHUNKER_VERSION}"

    def close(self) -> None:
        self.retriever.close()
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
        return self.writer.is_current(document, self.fingerprint)

    def embed_chunks(
        self,
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
        embedder: Embedder | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors and per-sentence vectors, in one forward pass per chunk."""
        relative = [tuple((a - c.start, b - c.start) for a, b in c.sentences) for c in chunks]
        embedder = embedder or self.embedder
        return embedder.encode_chunks([c.text for c in chunks], relative, progress)

    def stage_document(
        self,
        document: Document,
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
        embedder: Embedder | None = None,
    ) -> StagedDocument:
        """Embed a document's chunks, ready for commit_document; takes no lock, writes nothing.

        Beside questions, pass `indexing_embedder`: the shared one's tokenizer is not
        safe to use from two threads at once.
        """
        if not chunks:
            raise InputError(f"{document.source}: no text to index")
        chunk_vecs, sentence_vecs = self.embed_chunks(chunks, progress, embedder)
        return StagedDocument(
            document, tuple(chunks), chunk_vecs, tuple(sentence_vecs), self.fingerprint
        )

    def commit_document(
        self,
        staged: StagedDocument,
        exclusive: Exclusive = nullcontext,
        write_batch: int | None = None,
    ) -> IndexResult:
        """Write a staged document: Chroma (in upserts of `write_batch` chunks), then the
        catalog inside `exclusive()`, which is held only for the catalog transaction."""
        return self.writer.commit(staged, exclusive, write_batch)

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
        if vectors is None:
            return self.commit_document(self.stage_document(document, chunks, progress))
        staged = StagedDocument(
            document, tuple(chunks), vectors[0], tuple(vectors[1]), self.fingerprint
        )
        return self.commit_document(staged)

    def remove_document(self, doc_id: str, exclusive: Exclusive = nullcontext) -> int:
        """Delete a document and all its chunks; returns how many chunks went."""
        return self.writer.remove(doc_id, exclusive)

    def recover(self) -> None:
        """Finish what an interrupted write left: delete Chroma chunks the catalog disowns."""
        self.writer.recover()

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
        context, timings, began = self._prepare(question, top_k, doc_ids, history)
        mark = time.perf_counter()
        composition = self.answerer.compose(context)
        return self._finish(context, composition, timings, mark, began)

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        doc_ids: Sequence[str] | None = None,
        history: Sequence[Turn] = (),
    ) -> Iterator[StreamEvent]:
        """The answer as events: ("passages", [Passage]), ("delta", str)..., ("answer", Answer).

        Deltas are the text as it is written; the final Answer holds the verified text.
        """
        context, timings, began = self._prepare(question, top_k, doc_ids, history)
        yield "passages", context.passages
        mark = time.perf_counter()
        composition: Composition | None = None
        stream = getattr(self.answerer, "stream", None)
        if stream is None:
            composition = self.answerer.compose(context)
            for piece in _sentences_of(composition):
                yield "delta", piece
        else:
            for item in stream(context):
                if isinstance(item, Composition):
                    composition = item
                else:
                    yield "delta", item
        assert composition is not None
        yield "answer", self._finish(context, composition, timings, mark, began)

    def _prepare(
        self,
        question: str,
        top_k: int | None,
        doc_ids: Sequence[str] | None,
        history: Sequence[Turn],
    ) -> tuple[AnswerContext, dict[str, float], float]:
        question = self.check_question(question)
        view = self.catalog.view()
        if not view.chunks:
            raise InputError("nothing is indexed yet: index documents first (qa index PATH)")
        for doc_id in doc_ids or ():
            self.document(doc_id)
        if not self._encoder_checked:  # writes of another encoder are refused, so once is enough
            self.writer.check_encoder(self.fingerprint)
            self._encoder_checked = True
        embedder = self.embedder  # loads the model outside the timed stages on first use
        timings: dict[str, float] = {}
        began = time.perf_counter()
        query = self._condense(question, history)
        if query != question:
            timings["condense_ms"] = _since(began)
        mark = time.perf_counter()
        # The lexical search runs in a worker while the question is embedded here.
        started = self.retriever.start(query, top_k, doc_ids)
        vector = embedder.encode([query])[0]
        timings["embed_ms"] = _since(mark)
        mark = time.perf_counter()
        view, passages = self.retriever.finish(started, vector)
        timings["retrieve_ms"] = _since(mark)
        context = AnswerContext(question, query, vector, tuple(passages), view, embedder.encode)
        return context, timings, began

    def _condense(self, question: str, history: Sequence[Turn]) -> str:
        """A standalone query: written by the LLM backend when there is one, else by rule."""
        query = condense_question(question, history)
        condense = getattr(self.answerer, "condense", None)
        if query == question or condense is None:
            return query
        try:
            written = condense(question, list(history))
        except Exception:  # a failing model must not fail the question: keep the rule's query
            return query
        return written if 0 < len(written) <= self.settings.answer.max_question_chars else query

    def _finish(
        self,
        context: AnswerContext,
        composition: Composition,
        timings: dict[str, float],
        mark: float,
        began: float,
    ) -> Answer:
        timings["compose_ms"] = _since(mark)
        timings["total_ms"] = _since(began)
        return Answer(
            question=context.question,
            text=composition.text,
            abstained=composition.abstained,
            citations=composition.citations,
            passages=context.passages,
            backend=self.answerer.name,
            query=context.query,
            support=composition.support,
            timings_ms=timings,
            claims=composition.claims,
            fallback=composition.fallback,
        )


def _sentences_of(composition: Composition) -> list[str]:
    """A composed answer cut where its citation markers end, for streaming."""
    pieces = re.findall(r".+?\[\d+\](?:\s+|$)", composition.text)
    return pieces if "".join(pieces) == composition.text else [composition.text]


def _since(mark: float) -> float:
    return round((time.perf_counter() - mark) * 1000, 3)


def build_pipeline(settings: Settings) -> Pipeline:
    """Open the store and catalog and pick the answerer; the model loads on first use."""
    return Pipeline(settings)
