"""A catalog read lazily: mappings that fetch SQLite rows on demand and keep what they fetched.

A view is made per question and holds only the rows that question touched, so nothing grows
with the corpus and a commit by another process is seen by the next view without a reload.
"""

import functools
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from qa.errors import DocumentNotFound
from qa.fulltext import FullText, idf
from qa.types import Document, Span

Reader = Callable[[], sqlite3.Connection]
V = TypeVar("V")


@dataclass(frozen=True)
class ChunkEntry:
    """What answering needs of a chunk without asking Chroma.

    The sentence vectors (about 9 KB a chunk) are read when first used: ranking touches
    80 chunks a question and needs only their spans; composing reads the top few.
    """

    chunk_id: str
    doc_id: str
    position: int
    start: int
    end: int
    sentences: tuple[Span, ...]
    _load_vectors: Callable[[], np.ndarray] = field(repr=False, compare=False)

    @functools.cached_property
    def vectors(self) -> np.ndarray:
        """One unit vector per sentence, in the order of `sentences`."""
        return self._load_vectors()


class _Rows(Mapping[str, V]):
    """A read-only mapping over one SQL key; values are fetched once, then cached."""

    def __init__(self, read: Reader) -> None:
        self._read = read
        self._cache: dict[str, V | None] = {}

    def _fetch(self, key: str) -> V | None:
        raise NotImplementedError

    def _keys_sql(self) -> str:
        raise NotImplementedError

    def __getitem__(self, key: str) -> V:
        if key not in self._cache:
            self._cache[key] = self._fetch(key)
        value = self._cache[key]
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([row[0] for row in self._read().execute(self._keys_sql())])

    def __len__(self) -> int:
        return self._read().execute(f"SELECT count(*) FROM ({self._keys_sql()})").fetchone()[0]


_CHUNK_COLUMNS = "chunk_id, doc_id, position, start, end, sentences"


def _chunk_entry(row: tuple, read: Reader, blob: bytes | None = None) -> ChunkEntry:
    """The entry of a chunk row; `blob` is its sentence vectors when they were read with it."""
    chunk_id, doc_id, position, start, end, sentences = row
    spans = tuple((a, b) for a, b in json.loads(sentences))

    def load_vectors() -> np.ndarray:
        data = blob
        if data is None:
            found = read().execute("SELECT vectors FROM chunks WHERE chunk_id = ?", (chunk_id,))
            row = found.fetchone()
            if row is None:  # its document was removed or replaced since the row was read
                raise DocumentNotFound(
                    f"{doc_id} changed while the question was answered; ask again"
                )
            data = row[0]
        return np.frombuffer(data, np.float32).reshape(len(spans), -1)

    return ChunkEntry(chunk_id, doc_id, position, start, end, spans, load_vectors)


class ChunkRows(_Rows[ChunkEntry]):
    """chunk_id -> ChunkEntry (spans and sentence vectors)."""

    def _fetch(self, key: str) -> ChunkEntry | None:
        row = (
            self._read()
            .execute(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE chunk_id = ?", (key,))
            .fetchone()
        )
        return _chunk_entry(row, self._read) if row else None

    def _keys_sql(self) -> str:
        return "SELECT chunk_id FROM chunks ORDER BY chunk_id"

    def fetch_many(self, chunk_ids: Sequence[str], vectors: bool = False) -> None:
        """Fetch the rows of several chunks in one query (missing ones are remembered);
        with `vectors`, their sentence vectors come in the same query."""
        wanted = [c for c in chunk_ids if c not in self._cache]
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        columns = f"{_CHUNK_COLUMNS}, vectors" if vectors else _CHUNK_COLUMNS
        rows = self._read().execute(
            f"SELECT {columns} FROM chunks WHERE chunk_id IN ({marks})", wanted
        )
        for row in rows:
            blob = row[6] if vectors else None
            self._cache[row[0]] = _chunk_entry(row[:6], self._read, blob)
        for chunk_id in wanted:
            self._cache.setdefault(chunk_id, None)

    def listed(self, chunk_ids: Sequence[str]) -> set[str]:
        """Which of these chunks the catalog lists (reads the keys only)."""
        known = {c for c in chunk_ids if self._cache.get(c) is not None}
        unknown = [c for c in chunk_ids if c not in self._cache]
        if unknown:
            rows = self._read().execute(
                f"SELECT chunk_id FROM chunks WHERE chunk_id IN ({','.join('?' * len(unknown))})",
                unknown,
            )
            known.update(row[0] for row in rows)
        return known

    def __len__(self) -> int:
        return FullText.statistics(self._read())[0]

    def __bool__(self) -> bool:
        return self._read().execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None


_DOCUMENT_COLUMNS = "doc_id, title, source, text, author, sha256"


class DocumentRows(_Rows[Document]):
    """doc_id -> Document, its text included."""

    def _fetch(self, key: str) -> Document | None:
        sql = f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id = ?"
        row = self._read().execute(sql, (key,)).fetchone()
        return Document(*row) if row else None

    def fetch_many(self, doc_ids: Sequence[str]) -> None:
        """Fetch several documents in one query (missing ones are remembered)."""
        wanted = list(dict.fromkeys(d for d in doc_ids if d not in self._cache))
        if not wanted:
            return
        marks = ",".join("?" * len(wanted))
        sql = f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE doc_id IN ({marks})"
        for row in self._read().execute(sql, wanted):
            self._cache[row[0]] = Document(*row)
        for doc_id in wanted:
            self._cache.setdefault(doc_id, None)

    def _keys_sql(self) -> str:
        return "SELECT doc_id FROM documents ORDER BY doc_id"


class FingerprintRows(_Rows[str]):
    """doc_id -> the settings fingerprint its chunks were made with."""

    def _fetch(self, key: str) -> str | None:
        sql = "SELECT fingerprint FROM documents WHERE doc_id = ?"
        row = self._read().execute(sql, (key,)).fetchone()
        return row[0] if row else None

    def _keys_sql(self) -> str:
        return "SELECT doc_id FROM documents ORDER BY doc_id"


class ChunksByDocument(_Rows[list[str]]):
    """doc_id -> its chunk ids in order (a known document may have none)."""

    def _fetch(self, key: str) -> list[str] | None:
        db = self._read()
        ids = [
            row[0]
            for row in db.execute(
                "SELECT chunk_id FROM chunks WHERE doc_id = ? ORDER BY position", (key,)
            )
        ]
        if ids or db.execute("SELECT 1 FROM documents WHERE doc_id = ?", (key,)).fetchone():
            return ids
        return None

    def _keys_sql(self) -> str:
        return "SELECT doc_id FROM documents ORDER BY doc_id"


class LexicalStatistics:
    """Corpus statistics answering uses to weigh terms (chunk count and idf)."""

    def __init__(self, read: Reader, fulltext: FullText) -> None:
        self._read = read
        self.k1, self.b = fulltext.k1, fulltext.b
        self._chunks: int | None = None
        self._frequencies: dict[str, int] = {}

    def __len__(self) -> int:
        if self._chunks is None:
            self._chunks = FullText.statistics(self._read())[0]
        return self._chunks

    def frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term (0 for a term no chunk has); read once per view."""
        wanted = set(terms)
        unread = wanted - self._frequencies.keys()
        if unread:
            found = FullText.document_frequencies(self._read(), unread)
            self._frequencies.update({t: found.get(t, 0) for t in unread})
        return {t: self._frequencies[t] for t in wanted}

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 for a term no chunk has)."""
        return idf(len(self), self.frequencies([term])[term])


class CatalogView:
    """What one question reads of the catalog, fetched as it is needed."""

    def __init__(self, read: Reader, fulltext: FullText) -> None:
        self.chunks = ChunkRows(read)
        self.documents = DocumentRows(read)
        self.fingerprints = FingerprintRows(read)
        self.by_doc = ChunksByDocument(read)
        self.bm25 = LexicalStatistics(read, fulltext)
