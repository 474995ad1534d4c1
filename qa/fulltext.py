"""BM25 over chunk terms kept on disk: an SQLite FTS5 table inside the catalog's database.

FTS5 finds candidates without Python walking postings; its own bm25() has fixed k1/b, so the
candidates are rescored with the project's tuned BM25 (k1 0.9, b 0.4) from statistics kept in
the same database. Rows are written inside the catalog's transactions, so a chunk is
searchable exactly when it is visible, and gone in the commit that deletes it.
"""

import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

SCHEMA = """
CREATE TABLE IF NOT EXISTS fulltext_rows (
    id INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, doc_id TEXT NOT NULL,
    length INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS fulltext_rows_by_doc ON fulltext_rows(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS fulltext USING fts5(
    terms, tokenize = "unicode61 remove_diacritics 0 tokenchars '_'"
);
CREATE VIRTUAL TABLE IF NOT EXISTS fulltext_vocab USING fts5vocab(fulltext, 'row');
CREATE TABLE IF NOT EXISTS fulltext_stats (
    id INTEGER PRIMARY KEY CHECK (id = 0), chunks INTEGER NOT NULL, length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS fulltext_terms (
    term TEXT PRIMARY KEY, chunks INTEGER NOT NULL
) WITHOUT ROWID;
"""

Ranking = list[tuple[str, float]]
# FTS5 ranks with k1 1.2, b 0.75; this many candidates per wanted result absorb the difference.
CANDIDATES_PER_RESULT = 5
# Rows FTS5 may rank per question: the rarest query terms are matched until their document
# frequencies add up to this; commoner terms (low idf) still count when candidates are
# rescored. FTS5 visits every matched row to rank it, so this bounds the cost per question.
# SQuAD dev with the budget scaled to the corpus: 20% changed no recall figure, 10% kept the
# default at 0.841/0.964/0.980, 5% lost 0.009 R@1 (eval/BENCHMARKS.md).
MATCH_BUDGET = 10_000


def idf(chunks: int, df: int) -> float:
    """BM25's inverse document frequency (0 for a term no chunk has)."""
    if df == 0:
        return 0.0
    return math.log(1 + (chunks - df + 0.5) / (df + 0.5))


def _match_expression(terms: Iterable[str]) -> str:
    # Terms are \w+ runs, but quote them anyway so FTS5 never reads one as an operator.
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _rarest_within(frequencies: dict[str, int], budget: int) -> list[str]:
    """The rarest terms whose document frequencies add up to `budget` (at least one)."""
    chosen: list[str] = []
    used = 0
    for term, df in sorted(frequencies.items(), key=lambda item: (item[1], item[0])):
        if chosen and used + df > budget:
            break
        chosen.append(term)
        used += df
    return chosen


class FullText:
    """Writes and searches the FTS5 rows; every method takes the connection to use."""

    # k1 0.9, b 0.4 (Anserini's defaults) beat 1.2/0.75 on SQuAD dev; eval/BENCHMARKS.md.
    def __init__(self, k1: float = 0.9, b: float = 0.4) -> None:
        self.k1, self.b = k1, b

    # -- writing (inside the caller's transaction) ----------------------------------------

    def add(self, db: sqlite3.Connection, rows: Sequence[tuple[str, str, list[str]]]) -> None:
        """Index (chunk_id, doc_id, terms) rows; ids must not be indexed already."""
        total = 0
        for chunk_id, doc_id, terms in rows:
            cursor = db.execute(
                "INSERT INTO fulltext_rows (chunk_id, doc_id, length) VALUES (?, ?, ?)",
                (chunk_id, doc_id, len(terms)),
            )
            db.execute(
                "INSERT INTO fulltext (rowid, terms) VALUES (?, ?)",
                (cursor.lastrowid, " ".join(terms)),
            )
            total += len(terms)
        self._count(db, len(rows), total)
        self._count_terms(db, Counter(t for _, _, terms in rows for t in set(terms)), 1)

    def remove_document(self, db: sqlite3.Connection, doc_id: str) -> None:
        """Drop every row of a document."""
        chunks, total = db.execute(
            "SELECT count(*), coalesce(sum(length), 0) FROM fulltext_rows WHERE doc_id = ?",
            (doc_id,),
        ).fetchone()
        rows = "SELECT id FROM fulltext_rows WHERE doc_id = ?"
        texts = db.execute(f"SELECT terms FROM fulltext WHERE rowid IN ({rows})", (doc_id,))
        self._count_terms(db, Counter(t for (text,) in texts for t in set(text.split())), -1)
        db.execute(f"DELETE FROM fulltext WHERE rowid IN ({rows})", (doc_id,))
        db.execute("DELETE FROM fulltext_rows WHERE doc_id = ?", (doc_id,))
        self._count(db, -chunks, -total)

    @staticmethod
    def _count(db: sqlite3.Connection, chunks: int, length: int) -> None:
        db.execute(
            "INSERT INTO fulltext_stats VALUES (0, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "chunks = chunks + excluded.chunks, length = length + excluded.length",
            (chunks, length),
        )

    @staticmethod
    def _count_terms(db: sqlite3.Connection, counts: Counter, sign: int) -> None:
        """Add (sign 1) or take away (-1) chunks holding each term."""
        db.executemany(
            "INSERT INTO fulltext_terms VALUES (?, ?) ON CONFLICT(term) DO UPDATE SET "
            "chunks = chunks + excluded.chunks",
            [(t, sign * n) for t, n in counts.items()],
        )
        if sign < 0:
            db.executemany(
                "DELETE FROM fulltext_terms WHERE term = ? AND chunks <= 0", [(t,) for t in counts]
            )

    def count_terms(self, db: sqlite3.Connection) -> None:
        """Fill the per-term chunk counts from the rows (a catalog written before they were
        kept); fts5vocab counted them per question by walking each term's doclist."""
        db.execute("DELETE FROM fulltext_terms")
        counts: Counter = Counter()
        for (text,) in db.execute("SELECT terms FROM fulltext"):
            counts.update(set(text.split()))
        self._count_terms(db, counts, 1)

    def rebuild(self, db: sqlite3.Connection, rows: Iterable[tuple[str, str, list[str]]]) -> None:
        """Replace every row (a catalog written before the FTS table existed)."""
        db.execute("DELETE FROM fulltext_terms")
        db.execute("DELETE FROM fulltext")
        db.execute("DELETE FROM fulltext_rows")
        db.execute("DELETE FROM fulltext_stats")
        self._count(db, 0, 0)
        batch: list[tuple[str, str, list[str]]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 1000:
                self.add(db, batch)
                batch = []
        self.add(db, batch)

    # -- reading --------------------------------------------------------------------------

    @staticmethod
    def statistics(db: sqlite3.Connection) -> tuple[int, int]:
        """(chunks indexed, their total length in terms)."""
        row = db.execute("SELECT chunks, length FROM fulltext_stats WHERE id = 0").fetchone()
        return (row[0], row[1]) if row else (0, 0)

    @staticmethod
    def document_frequencies(db: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
        """How many chunks hold each term (terms no chunk has are left out)."""
        wanted = sorted(set(terms))
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        sql = f"SELECT term, chunks FROM fulltext_terms WHERE term IN ({marks})"
        rows = db.execute(sql, wanted)
        return {term: chunks for term, chunks in rows if chunks > 0}

    def search(
        self,
        db: sqlite3.Connection,
        terms: Sequence[str],
        limit: int,
        doc_ids: Sequence[str] | None = None,
        frequencies: dict[str, int] | None = None,
    ) -> Ranking:
        """The best `limit` chunk ids for the query terms with BM25 scores, best first.

        Equal scores are ordered by chunk id, so every process ranks alike. `frequencies`
        (document frequency by term) saves reading them when the caller already has.
        """
        query = Counter(terms)
        if not query or limit <= 0:
            return []
        chunks, total = self.statistics(db)
        if chunks == 0:
            return []
        if frequencies is None:
            frequencies = self.document_frequencies(db, query)
        # In term order, so the float sums below add up alike in every process.
        frequencies = {t: frequencies[t] for t in sorted(query) if frequencies.get(t)}
        matched = _rarest_within(frequencies, MATCH_BUDGET)
        if not matched:
            return []
        weights = {t: qtf * idf(chunks, df) for t, df in frequencies.items() if (qtf := query[t])}
        rowids = self._candidates(db, matched, weights, limit * CANDIDATES_PER_RESULT, doc_ids)
        if not rowids:
            return []
        sql, params = self._rescoring(weights, rowids, total / chunks, limit)
        return db.execute(sql, params).fetchall()

    def _rescoring(
        self, weights: dict[str, float], rowids: list[int], average: float, limit: int
    ) -> tuple[str, list]:
        """The query that scores candidate rows with the tuned BM25, best first.

        SQLite computes it in C without holding Python's GIL, so a search in a worker thread
        leaves the thread embedding the question alone; the arithmetic is Python's own, term
        by term in the same order. The stored terms are joined by single spaces; doubled,
        each term has a space of its own on both sides, and a term's frequency is how many
        bytes removing every " term " takes away, over its length (byte lengths of a text
        cast to BLOB are read, not counted).
        """
        term_columns, score, params = [], "0.0", []
        for n, term in enumerate(weights):
            needle = f" {term} "
            term_columns.append(f"(size - length(CAST(replace(p, ?, '') AS BLOB))) / ? AS tf{n}")
            params += [needle, len(needle.encode())]
            score += f" + ? * tf{n} * ? / (tf{n} + norm)"
        marks = ",".join("?" * len(rowids))
        # MATERIALIZED: each step is computed once per row, not inlined where it is used.
        sql = (
            "WITH padded AS MATERIALIZED ("
            "SELECT r.chunk_id AS chunk_id, ? * (1 - ? + ? * r.length / ?) AS norm,"
            " ' ' || replace(f.terms, ' ', '  ') || ' ' AS p FROM fulltext_rows r"
            f" JOIN fulltext f ON f.rowid = r.id WHERE r.id IN ({marks})),"
            " sized AS MATERIALIZED ("
            "SELECT chunk_id, norm, p, length(CAST(p AS BLOB)) AS size FROM padded),"
            f" counted AS MATERIALIZED (SELECT chunk_id, norm, {', '.join(term_columns)}"
            " FROM sized)"
            f" SELECT chunk_id, {score} AS score FROM counted"
            " ORDER BY score DESC, chunk_id LIMIT ?"
        )
        k1_plus_1 = self.k1 + 1
        score_params = [x for w in weights.values() for x in (w, k1_plus_1)]
        # Placeholders in the order they appear: norm, row ids, term columns, scores, limit.
        return sql, [self.k1, self.b, self.b, average, *rowids, *params, *score_params, limit]

    def _candidates(
        self,
        db: sqlite3.Connection,
        matched: list[str],
        weights: dict[str, float],
        wanted: int,
        doc_ids: Sequence[str] | None,
    ) -> list[int]:
        """Row ids of the best `wanted` rows by the summed weights of the terms they hold.

        Each matched term's rows come from its own FTS5 `MATCH` (the doclist alone, read in
        C); numpy sums the weights. FTS5's own ranking visited every matched row's size
        record (about 6 us a row at 100k chunks, 42 ms a question at p50); this costs about
        a fifth of that. Term frequency and length count in the exact score, computed for
        these candidates only; ties at the cut go to the lower row id, so processes agree.
        """
        rows, scores = [], []
        for term in matched:
            # One comma-separated string per term: parsing it in numpy beats a Python row
            # object per matched row (5,000 rows a question at 100k chunks).
            (joined,) = db.execute(
                "SELECT group_concat(rowid) FROM fulltext WHERE fulltext MATCH ?",
                (_match_expression([term]),),
            ).fetchone()
            ids = np.fromstring(joined or "", dtype=np.int64, sep=",")
            rows.append(ids)
            scores.append(np.full(len(ids), weights[term]))
        ids = np.concatenate(rows)
        score = np.concatenate(scores)
        if doc_ids is not None:
            allowed = db.execute(
                f"SELECT id FROM fulltext_rows WHERE doc_id IN ({','.join('?' * len(doc_ids))})",
                list(doc_ids),
            )
            keep = np.isin(ids, np.fromiter((r[0] for r in allowed), np.int64))
            ids, score = ids[keep], score[keep]
        unique, position = np.unique(ids, return_inverse=True)
        total = np.bincount(position, weights=score, minlength=len(unique))
        order = np.lexsort((unique, -total))[:wanted]
        return [int(i) for i in unique[order]]
