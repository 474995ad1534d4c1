"""The catalog: documents, chunk spans, sentence vectors and BM25 terms, in SQLite.

It sits beside the Chroma store and is the commit point of every write: a chunk is
searchable only once the catalog lists it, so a write that dies half-way leaves
nothing visible. Each process keeps an in-memory view and reloads it when another
process commits.
"""

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa.lexical import BM25Index, lexical_terms
from qa.types import Chunk, Document, Span

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, title TEXT NOT NULL, author TEXT NOT NULL, source TEXT NOT NULL,
    sha256 TEXT NOT NULL, fingerprint TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, doc_id TEXT NOT NULL REFERENCES documents(doc_id),
    position INTEGER NOT NULL, start INTEGER NOT NULL, end INTEGER NOT NULL,
    sentences TEXT NOT NULL, terms TEXT NOT NULL, vectors BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS pending (chunk_id TEXT PRIMARY KEY);
"""


@dataclass(frozen=True)
class ChunkEntry:
    """What answering needs of a chunk without asking Chroma."""

    chunk_id: str
    doc_id: str
    position: int
    start: int
    end: int
    sentences: tuple[Span, ...]
    vectors: np.ndarray


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    author: str
    source: str
    sha256: str
    fingerprint: str
    chunks: int


@dataclass
class View:
    """In-memory state for search and answering."""

    documents: dict[str, Document] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)
    chunks: dict[str, ChunkEntry] = field(default_factory=dict)
    by_doc: dict[str, list[str]] = field(default_factory=dict)
    bm25: BM25Index = field(default_factory=BM25Index)


class Catalog:
    """SQLite-backed catalog with an in-memory view kept in step."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.RLock()
        self._version = -1
        self._view = View()

    def close(self) -> None:
        self._db.close()

    def view(self) -> View:
        """The current view, reloaded first if another process has committed since."""
        with self._lock:
            version = self._db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._view = self._load()
                self._version = version
            return self._view

    def _load(self) -> View:
        view = View()
        for row in self._db.execute(
            "SELECT doc_id, title, author, source, sha256, fingerprint, text FROM documents"
        ):
            doc_id, title, author, source, sha, fingerprint, text = row
            view.documents[doc_id] = Document(doc_id, title, source, text, author, sha)
            view.fingerprints[doc_id] = fingerprint
            view.by_doc[doc_id] = []
        rows = self._db.execute(
            "SELECT chunk_id, doc_id, position, start, end, sentences, terms, vectors FROM chunks"
            " ORDER BY doc_id, position"
        )
        for chunk_id, doc_id, position, start, end, sentences, terms, vectors in rows:
            spans = tuple(tuple(s) for s in json.loads(sentences))
            vecs = np.frombuffer(vectors, np.float32).reshape(len(spans), -1)
            view.chunks[chunk_id] = ChunkEntry(chunk_id, doc_id, position, start, end, spans, vecs)
            view.by_doc[doc_id].append(chunk_id)
            view.bm25.add(chunk_id, json.loads(terms))
        return view

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document with its chunk count, by title."""
        view = self.view()
        infos = [
            DocumentInfo(
                d.doc_id,
                d.title,
                d.author,
                d.source,
                d.sha256,
                view.fingerprints[d.doc_id],
                len(view.by_doc[d.doc_id]),
            )
            for d in view.documents.values()
        ]
        return sorted(infos, key=lambda info: (info.title.lower(), info.doc_id))

    def pending(self) -> set[str]:
        """Chunk ids written to Chroma by a write that has not finished."""
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT chunk_id FROM pending")}

    def mark_pending(self, chunk_ids: set[str]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR IGNORE INTO pending VALUES (?)", [(c,) for c in chunk_ids]
            )
            self._sync_version()

    def clear_pending(self, chunk_ids: set[str]) -> None:
        with self._lock:
            self._db.executemany(
                "DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in chunk_ids]
            )
            self._sync_version()

    def replace_document(
        self,
        document: Document,
        fingerprint: str,
        chunks: list[Chunk],
        vectors: list[np.ndarray],
        stale: set[str],
    ) -> None:
        """Make `chunks` the document's whole content, in one transaction.

        `stale` (its old chunk ids) become pending until Chroma has deleted them.
        """
        terms = [lexical_terms(f"{document.title}\n{c.text}") for c in chunks]
        with self._lock:
            view = self.view()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (document.doc_id,))
                self._db.execute(
                    "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        document.doc_id,
                        document.title,
                        document.author,
                        document.source,
                        document.sha256,
                        fingerprint,
                        document.text,
                    ),
                )
                self._db.executemany(
                    "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            c.chunk_id,
                            c.doc_id,
                            c.position,
                            c.start,
                            c.end,
                            json.dumps(c.sentences),
                            json.dumps(t),
                            v.astype(np.float32).tobytes(),
                        )
                        for c, t, v in zip(chunks, terms, vectors, strict=True)
                    ],
                )
                self._db.executemany(
                    "DELETE FROM pending WHERE chunk_id = ?", [(c.chunk_id,) for c in chunks]
                )
                self._db.executemany(
                    "INSERT OR IGNORE INTO pending VALUES (?)", [(c,) for c in stale]
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._forget(view, document.doc_id)
            view.documents[document.doc_id] = document
            view.fingerprints[document.doc_id] = fingerprint
            view.by_doc[document.doc_id] = [c.chunk_id for c in chunks]
            for c, t, v in zip(chunks, terms, vectors, strict=True):
                view.chunks[c.chunk_id] = ChunkEntry(
                    c.chunk_id, c.doc_id, c.position, c.start, c.end, c.sentences, v
                )
                view.bm25.add(c.chunk_id, t)
            self._sync_version()

    def remove_document(self, doc_id: str) -> None:
        """Drop a document and its chunks in one transaction; its chunk ids become pending."""
        with self._lock:
            view = self.view()
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR IGNORE INTO pending SELECT chunk_id FROM chunks WHERE doc_id = ?",
                    (doc_id,),
                )
                self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
                self._db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._forget(view, doc_id)
            self._sync_version()

    @staticmethod
    def _forget(view: View, doc_id: str) -> None:
        for chunk_id in view.by_doc.pop(doc_id, []):
            view.chunks.pop(chunk_id, None)
            view.bm25.remove(chunk_id)
        view.documents.pop(doc_id, None)
        view.fingerprints.pop(doc_id, None)

    def _sync_version(self) -> None:
        # Our own commits do not change data_version; record it so they cause no reload.
        self._version = self._db.execute("PRAGMA data_version").fetchone()[0]
