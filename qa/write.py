"""Document writes in stages: embed with no lock held, then a short commit, and recovery.

Staging (chunk vectors, sentence vectors) is the slow part and touches neither the store nor
the catalog, so questions keep running beside it. The commit writes Chroma first with the new
chunk ids marked pending, then makes them visible in one catalog transaction: only that
transaction has to keep readers out. `recover` finishes what a write that died left behind.
"""

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np

from qa.catalog import Catalog
from qa.errors import DocumentNotFound, InputError
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
    """Commits staged documents and removals to the store and catalog, one at a time."""

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
        document, chunks = staged.document, list(staged.chunks)
        if not chunks:
            raise InputError(f"{document.source}: no text to index")
        with self._mutex:
            if self.is_current(document, staged.fingerprint):
                return IndexResult(document.doc_id, "unchanged", len(chunks))
            self.recover()
            old = set(self.catalog.view().by_doc.get(document.doc_id, []))
            new = {c.chunk_id for c in chunks}
            # Chroma first, marked pending: chunks the catalog does not list are never
            # returned, and the catalog commit below is what makes them visible.
            self.catalog.mark_pending(new - old)
            step = write_batch or len(chunks)
            titles = {document.doc_id: document.title}
            for first in range(0, len(chunks), step):
                part = slice(first, first + step)
                self.store.upsert(chunks[part], staged.chunk_vectors[part], titles)
            with exclusive():
                self.catalog.replace_document(
                    document,
                    staged.fingerprint,
                    chunks,
                    list(staged.sentence_vectors),
                    stale=old - new,
                )
            self.recover()
        return IndexResult(document.doc_id, "replaced" if old else "added", len(chunks))

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
