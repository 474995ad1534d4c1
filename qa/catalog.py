"""The catalog: documents, chunk spans, sentence vectors and BM25 terms, in SQLite.

It sits beside the Chroma store and is the commit point of every write: a chunk is
searchable (densely and lexically) only once the catalog lists it, so a write that dies
half-way leaves nothing visible. Questions read it through lazy views (qa.catalog_view),
so nothing is loaded whole and another process's commit is seen by the next question.
"""

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa import fulltext
from qa.catalog_view import CatalogView, ChunkEntry
from qa.lexical import lexical_terms
from qa.types import Chunk, Document

__all__ = ["Catalog", "CatalogView", "ChunkEntry", "DocumentInfo", "View"]

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
class DocumentInfo:
    doc_id: str
    title: str
    author: str
    source: str
    sha256: str
    fingerprint: str
    chunks: int


View = CatalogView


class Catalog:
    """SQLite-backed catalog; questions read it through lazy views, writes commit to it."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._db = self._connect()
        self._db.executescript(_SCHEMA + fulltext.SCHEMA)
        self._lock = threading.RLock()
        self._readers = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self.fulltext = fulltext.FullText()
        self._migrate()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA busy_timeout=10000")
        return db

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (WAL: readers never wait for the writer)."""
        db = getattr(self._readers, "db", None)
        if db is None:
            db = self._readers.db = self._connect()
            with self._lock:
                self._opened.append(db)
        return db

    def _migrate(self) -> None:
        """Fill the FTS rows of a catalog written before they existed (or left out of step),
        and the per-term chunk counts of one written before those were kept."""
        if self._fulltext_current() and self._terms_counted():
            return
        with self._lock, self._transaction():
            if not self._fulltext_current():
                rows = self._db.execute("SELECT chunk_id, doc_id, terms FROM chunks ORDER BY rowid")
                self.fulltext.rebuild(self._db, [(c, d, json.loads(t)) for c, d, t in rows])
            elif not self._terms_counted():
                self.fulltext.count_terms(self._db)

    def _fulltext_current(self) -> bool:
        chunks = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        has_stats = self._db.execute("SELECT 1 FROM fulltext_stats").fetchone() is not None
        return has_stats and self.fulltext.statistics(self._db)[0] == chunks

    def _terms_counted(self) -> bool:
        empty = self._db.execute("SELECT 1 FROM fulltext_terms LIMIT 1").fetchone() is None
        return not empty or self._db.execute("SELECT 1 FROM fulltext LIMIT 1").fetchone() is None

    def close(self) -> None:
        with self._lock:
            for db in self._opened:
                db.close()
            self._opened.clear()
            self._readers = threading.local()
            self._db.close()

    def view(self) -> CatalogView:
        """A fresh lazy view: it reads rows as they are needed, so commits show at once."""
        return CatalogView(self._reader, self.fulltext)

    def search_lexical(
        self,
        terms: list[str],
        limit: int,
        doc_ids: Sequence[str] | None = None,
        frequencies: dict[str, int] | None = None,
    ) -> list[tuple[str, float]]:
        """BM25 over committed chunks (ties by chunk id), from the FTS rows; `frequencies`
        may carry the terms' document frequencies, read beforehand."""
        return self.fulltext.search(self._reader(), terms, limit, doc_ids, frequencies)

    def documents(self) -> list[DocumentInfo]:
        """Every indexed document with its chunk count, by title."""
        rows = self._reader().execute(
            "SELECT d.doc_id, d.title, d.author, d.source, d.sha256, d.fingerprint,"
            " (SELECT count(*) FROM chunks c WHERE c.doc_id = d.doc_id) FROM documents d"
        )
        infos = [DocumentInfo(*row) for row in rows]
        return sorted(infos, key=lambda info: (info.title.lower(), info.doc_id))

    def fingerprints(self) -> set[str]:
        """The distinct fingerprints the indexed documents were written with."""
        rows = self._reader().execute("SELECT DISTINCT fingerprint FROM documents")
        return {row[0] for row in rows}

    def pending(self) -> set[str]:
        """Chunk ids written to Chroma by a write that has not finished."""
        with self._lock:
            return {row[0] for row in self._db.execute("SELECT chunk_id FROM pending")}

    def mark_pending(self, chunk_ids: set[str]) -> None:
        # One transaction: a row at a time paid one WAL commit per chunk (60 ms a document).
        with self._lock, self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO pending VALUES (?)", [(c,) for c in chunk_ids]
            )

    def clear_pending(self, chunk_ids: set[str]) -> None:
        with self._lock, self._transaction():
            self._db.executemany(
                "DELETE FROM pending WHERE chunk_id = ?", [(c,) for c in chunk_ids]
            )

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
        with self._lock, self._transaction():
            db = self._db
            self.fulltext.remove_document(db, document.doc_id)
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (document.doc_id,))
            db.execute(
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
            db.executemany(
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
            self.fulltext.add(
                db, [(c.chunk_id, c.doc_id, t) for c, t in zip(chunks, terms, strict=True)]
            )
            db.executemany(
                "DELETE FROM pending WHERE chunk_id = ?", [(c.chunk_id,) for c in chunks]
            )
            db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(c,) for c in stale])

    def remove_document(self, doc_id: str) -> None:
        """Drop a document and its chunks in one transaction; its chunk ids become pending."""
        with self._lock, self._transaction():
            db = self._db
            db.execute(
                "INSERT OR IGNORE INTO pending SELECT chunk_id FROM chunks WHERE doc_id = ?",
                (doc_id,),
            )
            self.fulltext.remove_document(db, doc_id)
            db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
            db.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,))

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
