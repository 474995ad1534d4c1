"""Document writes in stages: embed with no lock held, then a short commit, and recovery.

Staging (chunk vectors, sentence vectors) is the slow part and touches neither the store nor
the catalog, so questions keep running beside it. The commit writes Chroma first with the new
chunk ids marked pending, then makes them visible in one catalog transaction: only that
transaction has to keep readers out. `recover` finishes what a write that died left behind.
"""

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np

from qa.catalog import Catalog
from qa.errors import ConfigError, DocumentNotFound, InputError
from qa.store import ChunkStore
from qa.types import Chunk, Document

# Entered around the moment a write becomes visible, to keep readers out of it.
Exclusive = Callable[[], AbstractContextManager[object]]


@dataclass(frozen=True)
class IndexResult:
    doc_id: str
    status: str  # "added", "replaced" or "unchanged"
    chunks: int


@dataclass(frozen=True)
class StagedDocument:
    """A document with its chunks and vectors, ready to commit; nothing written yet."""

    document: Document
    chunks: tuple[Chunk, ...]
    chunk_vectors: np.ndarray
    sentence_vectors: tuple[np.ndarray, ...]
    fingerprint: str


class DocumentWriter:
    """Commits staged documents and removals to the store and catalog, one write at a time."""

    def __init__(self, store: ChunkStore, catalog: Catalog) -> None:
        self.store = store
        self.catalog = catalog
        # One write at a time in this process, so recovery never deletes a write in flight.
        self._mutex = threading.RLock()

    def is_current(self, document: Document, fingerprint: str) -> bool:
        """True when this exact document is already indexed with the same fingerprint."""
        view = self.catalog.view()
        old = view.documents.get(document.doc_id)
        return (
            old is not None
            and view.fingerprints[document.doc_id] == fingerprint
            and (old.sha256, old.title, old.author, old.source)
            == (document.sha256, document.title, document.author, document.source)
        )

    def commit(
        self,
        staged: StagedDocument,
        exclusive: Exclusive = nullcontext,
        write_batch: int | None = None,
    ) -> IndexResult:
        """Replace the document's chunks with the staged ones; all or nothing.

        Embedded Chroma holds queries back for the whole of one upsert (1,500 chunks: about
        2 s here), so beside questions `write_batch` cuts it into small upserts to let them in.
        """
        return self.commit_many([staged], exclusive, write_batch)[0]

    def commit_many(
        self,
        staged: Sequence[StagedDocument],
        exclusive: Exclusive = nullcontext,
        write_batch: int | None = None,
    ) -> list[IndexResult]:
        """Commit several documents with one Chroma upsert; all or nothing per document.

        Every new chunk id is marked pending before the shared upsert, and each document
        then becomes visible in its own catalog transaction: a write that dies part-way
        leaves whole documents, and pending chunks that `recover` deletes. One upsert per
        document cost about 34 ms each (issue 9).
        """
        if len({s.document.doc_id for s in staged}) < len(staged):
            # A document twice in one batch: its versions must replace each other in order.
            return [r for s in staged for r in self.commit_many([s], exclusive, write_batch)]
        for s in staged:
            if not s.chunks:
                raise InputError(f"{s.document.source}: no text to index")
        results: dict[str, IndexResult] = {}
        with self._mutex:
            todo = []
            for s in staged:
                if self.is_current(s.document, s.fingerprint):
                    results[s.document.doc_id] = IndexResult(
                        s.document.doc_id, "unchanged", len(s.chunks)
                    )
                else:
                    todo.append(s)
            if todo:
                self._write(todo, exclusive, write_batch, results)
        return [results[s.document.doc_id] for s in staged]

    def check_encoder(self, fingerprint: str) -> None:
        """Refuse to add vectors of one encoder to a store that holds another's: their
        similarities are not comparable, so a mixed store would rank by accident."""
        encoder = _encoder_of(fingerprint)
        others = {_encoder_of(f) for f in self.catalog.fingerprints()} - {encoder}
        if others:
            raise ConfigError(
                f"this store was indexed with the {', '.join(sorted(others))} encoder and this "
                f"run encodes with {encoder} (QA_EMBEDDINGS__BACKEND): index into a new "
                "QA_STORE__PATH, or go back to the store's encoder"
            )

    def _write(
        self,
        todo: list[StagedDocument],
        exclusive: Exclusive,
        write_batch: int | None,
        results: dict[str, IndexResult],
    ) -> None:
        for fingerprint in {s.fingerprint for s in todo}:
            self.check_encoder(fingerprint)
        self.recover()
        by_doc = self.catalog.view().by_doc
        olds = {s.document.doc_id: set(by_doc.get(s.document.doc_id, [])) for s in todo}
        # Chroma first, marked pending: chunks the catalog does not list are never
        # returned, and the catalog commits below are what make them visible.
        self.catalog.mark_pending(
            {c.chunk_id for s in todo for c in s.chunks if c.chunk_id not in olds[c.doc_id]}
        )
        chunks = [c for s in todo for c in s.chunks]
        vectors = np.concatenate([s.chunk_vectors for s in todo])
        titles = {s.document.doc_id: s.document.title for s in todo}
        step = write_batch or len(chunks)
        for first in range(0, len(chunks), step):
            part = slice(first, first + step)
            self.store.upsert(chunks[part], vectors[part], titles)
        for s in todo:
            doc_id, old = s.document.doc_id, olds[s.document.doc_id]
            with exclusive():
                self.catalog.replace_document(
                    s.document,
                    s.fingerprint,
                    list(s.chunks),
                    list(s.sentence_vectors),
                    stale=old - {c.chunk_id for c in s.chunks},
                )
            results[doc_id] = IndexResult(doc_id, "replaced" if old else "added", len(s.chunks))
        self.recover()

    def remove(self, doc_id: str, exclusive: Exclusive = nullcontext) -> int:
        """Delete a document and all its chunks; returns how many chunks went."""
        with self._mutex:
            view = self.catalog.view()
            if doc_id not in view.documents:
                raise DocumentNotFound(f"no indexed document has the id {doc_id!r}")
            chunks = len(view.by_doc.get(doc_id, []))
            with exclusive():
                self.catalog.remove_document(doc_id)
            self.recover()
        return chunks

    def recover(self) -> None:
        """Finish what an interrupted write left: delete Chroma chunks the catalog disowns."""
        with self._mutex:
            pending = self.catalog.pending()
            if not pending:
                return
            chunks = self.catalog.view().chunks  # rows read per id, not the whole corpus
            live = {chunk_id for chunk_id in pending if chunk_id in chunks}
            self.store.delete(pending - live)
            self.catalog.clear_pending(pending)


def _encoder_of(fingerprint: str) -> str:
    # Pipeline.fingerprint begins with the embedder's name: "name|chunk|overlap|chunker".
    return fingerprint.split("|", 1)[0]
