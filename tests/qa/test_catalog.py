"""qa.catalog: FTS5 lexical search in the catalog's own transactions, read lazily per question."""

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from index.ingest import SAMPLE_CORPUS
from qa import fulltext
from qa.catalog import Catalog
from qa.errors import DocumentNotFound
from qa.lexical import BM25Index, lexical_terms
from qa.types import Chunk, Document


def paragraphs_of(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text().split("\n\n") if len(p.strip()) > 40]


def add(catalog: Catalog, doc_id: str, title: str, texts: list[str]) -> list[Chunk]:
    """One document whose chunks are `texts` (one sentence span each, dummy vectors)."""
    text = "\n\n".join(texts)
    chunks, start = [], 0
    for position, part in enumerate(texts):
        end = start + len(part)
        chunks.append(
            Chunk(f"{doc_id}:{position:04d}", doc_id, position, start, end, part, ((start, end),))
        )
        start = end + 2
    document = Document(doc_id, title, f"{doc_id}.txt", text)
    vectors = [np.full((1, 4), position, np.float32) for position in range(len(chunks))]
    catalog.replace_document(document, "fp", chunks, vectors, stale=set())
    return chunks


@pytest.fixture
def sample(tmp_path: Path) -> tuple[Catalog, BM25Index]:
    """The sample corpus cut into paragraphs, in a catalog and in the in-memory BM25 index."""
    catalog = Catalog(tmp_path / "catalog.sqlite")
    reference = BM25Index()
    for n, path in enumerate(sorted(SAMPLE_CORPUS.glob("*.txt"))):
        title = path.stem.replace("-", " ")
        for chunk in add(catalog, f"doc{n}", title, paragraphs_of(path)):
            reference.add(chunk.chunk_id, lexical_terms(f"{title}\n{chunk.text}"))
    yield catalog, reference
    catalog.close()


QUESTIONS = (
    "What did Russia veto in March?",
    "mutual assistance provision of the treaty",
    "Who said the pact was a threat to regional security?",
    "artillery shells and missiles sent to Russia",
    "What happened at the UN sanctions panel?",
    "Japan South Korea reaction",
    "North Korea",
)


@pytest.mark.parametrize("question", QUESTIONS)
def test_fts_search_gives_the_same_top_results_as_the_in_memory_bm25(sample, question):
    catalog, reference = sample
    terms = lexical_terms(question)
    expected = sorted(reference.search(terms, limit=10**6), key=lambda r: (-r[1], r[0]))[:10]
    found = catalog.search_lexical(terms, 10)
    assert [c for c, _ in found] == [c for c, _ in expected]
    assert [s for _, s in found] == pytest.approx([s for _, s in expected], rel=1e-9)
    view = catalog.view()
    for term in terms:
        assert view.bm25.idf(term) == pytest.approx(reference.idf(term), rel=1e-12)
    assert len(view.bm25) == len(reference) == len(view.chunks)


@pytest.mark.parametrize("question", QUESTIONS)
def test_rescoring_in_sqlite_gives_pythons_bm25_to_the_last_bit(sample, question):
    catalog, reference = sample
    terms = lexical_terms(question)
    query = Counter(terms)
    chunks, total = fulltext.FullText.statistics(catalog._reader())
    frequencies = catalog.view().bm25.frequencies(terms)
    k1, b = catalog.fulltext.k1, catalog.fulltext.b
    weights = {t: query[t] * fulltext.idf(chunks, frequencies[t]) for t in sorted(query)}
    expected = []
    for chunk_id, length in reference._lengths.items():
        norm = k1 * (1 - b + b * length / (total / chunks))
        score = 0.0
        for term, weight in weights.items():
            if tf := reference._postings.get(term, {}).get(chunk_id, 0):
                score += weight * tf * (k1 + 1) / (tf + norm)
        if score:
            expected.append((chunk_id, score))
    expected.sort(key=lambda item: (-item[1], item[0]))
    assert catalog.search_lexical(terms, 10) == expected[:10]


def test_search_filters_by_document_and_breaks_ties_by_chunk_id(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    add(catalog, "zeta", "Twin", ["The lighthouse keepers painted the tower orange."])
    add(catalog, "alpha", "Twin", ["The lighthouse keepers painted the tower orange."])
    add(catalog, "other", "Other", ["Nothing about towers here, only lighthouses far away."])
    found = catalog.search_lexical(lexical_terms("lighthouse keepers"), 10)
    assert [c for c, _ in found][:2] == ["alpha:0000", "zeta:0000"]
    assert found[0][1] == found[1][1]
    only = catalog.search_lexical(lexical_terms("lighthouse"), 10, ["zeta", "other"])
    assert {c for c, _ in only} == {"zeta:0000", "other:0000"}
    assert catalog.search_lexical(lexical_terms("zebra"), 10) == []
    catalog.close()


def test_removing_a_document_removes_it_from_lexical_results_in_the_same_commit(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    add(catalog, "keep", "Keep", ["Orange towers stand on the northern coast."])
    add(catalog, "gone", "Gone", ["Orange lighthouses guide the ships home."])
    terms = lexical_terms("orange lighthouses")
    assert {c for c, _ in catalog.search_lexical(terms, 10)} == {"keep:0000", "gone:0000"}

    # A commit that fails part-way (here: the documents row refuses to go) takes nothing away.
    outside = sqlite3.connect(path)
    outside.execute(
        "CREATE TRIGGER refuse BEFORE DELETE ON documents BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    outside.commit()
    with pytest.raises(sqlite3.DatabaseError):
        catalog.remove_document("gone")
    assert {c for c, _ in catalog.search_lexical(terms, 10)} == {"keep:0000", "gone:0000"}
    outside.execute("DROP TRIGGER refuse")
    outside.commit()
    outside.close()

    catalog.remove_document("gone")
    assert [c for c, _ in catalog.search_lexical(terms, 10)] == ["keep:0000"]
    assert "gone" not in catalog.view().documents and len(catalog.view().chunks) == 1
    assert catalog.pending() == {"gone:0000"}
    catalog.close()


SECOND_PROCESS = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pathlib import Path
    from qa.catalog import Catalog
    from qa.types import Chunk, Document
    catalog = Catalog(Path(sys.argv[1]))
    text = "Vladivostok lighthouse keepers voted to paint every tower orange."
    chunk = Chunk("late:0000", "late", 0, 0, len(text), text, ((0, len(text)),))
    document = Document("late", "Late news", "late.txt", text)
    catalog.replace_document(document, "fp", [chunk], [np.ones((1, 4), np.float32)], set())
    catalog.close()
    """
)


def test_a_second_process_commit_is_seen_without_reloading_the_catalog(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    add(catalog, "early", "Early", [f"Paragraph {n} about harbours and ships." for n in range(50)])
    view = catalog.view()
    assert "late" not in view.documents
    statements: list[str] = []
    catalog._reader().set_trace_callback(statements.append)

    subprocess.run([sys.executable, "-c", SECOND_PROCESS, str(path)], check=True, timeout=120)

    found = catalog.search_lexical(lexical_terms("Vladivostok lighthouse"), 5)
    assert [c for c, _ in found] == ["late:0000"]
    fresh = catalog.view()
    entry = fresh.chunks["late:0000"]
    assert fresh.documents["late"].text[entry.start : entry.end].startswith("Vladivostok")
    assert fresh.by_doc["late"] == ["late:0000"] and len(fresh.chunks) == 51
    # Only what the question touched was read: no statement walks every chunk or document.
    reads = [s for s in statements if "FROM chunks" in s or "FROM documents" in s]
    assert reads and all("WHERE" in s or "LIMIT 1" in s for s in reads), reads
    catalog.close()


def test_a_catalog_written_before_fulltext_existed_is_migrated_on_open(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    add(catalog, "old", "Old", ["Treaty of mutual assistance.", "Shells for fuel and food."])
    catalog.close()
    db = sqlite3.connect(path)
    for table in ("fulltext_vocab", "fulltext", "fulltext_rows", "fulltext_stats"):
        db.execute(f"DROP TABLE {table}")
    db.commit()
    db.close()

    reopened = Catalog(path)
    found = reopened.search_lexical(lexical_terms("fuel"), 5)
    assert [c for c, _ in found] == ["old:0001"]
    assert len(reopened.view().bm25) == 2
    reopened.close()


def test_documents_lists_chunk_counts_by_title(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    add(catalog, "b", "beta", ["One paragraph.", "Two paragraphs."])
    add(catalog, "a", "Alpha", ["Only one."])
    infos = catalog.documents()
    assert [(i.doc_id, i.chunks, i.fingerprint) for i in infos] == [("a", 1, "fp"), ("b", 2, "fp")]
    assert json.loads(json.dumps(catalog.view().chunks["b:0001"].sentences)) == [[16, 31]]
    catalog.close()


def test_a_small_match_budget_keeps_the_rare_terms_and_full_scores(sample, monkeypatch):
    catalog, reference = sample
    terms = lexical_terms("Who said the pact was a threat to regional security?")
    full = dict(catalog.search_lexical(terms, 5))
    monkeypatch.setattr(fulltext, "MATCH_BUDGET", 1)  # only the rarest term is matched
    budgeted = catalog.search_lexical(terms, 5)
    assert budgeted
    scores = dict(reference.search(terms, limit=10**6))
    for chunk_id, score in budgeted:  # every query term still counts in the score
        assert score == pytest.approx(scores[chunk_id], rel=1e-9)
    assert budgeted[0][1] <= max(full.values()) + 1e-9  # never better than the full search


def test_sentence_vectors_are_read_only_for_the_chunks_that_use_them(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    chunks = add(
        catalog, "d", "Docks", [f"Paragraph {n} about harbours and ships." for n in range(40)]
    )
    statements: list[str] = []
    catalog._reader().set_trace_callback(statements.append)
    view = catalog.view()
    view.chunks.fetch_many([c.chunk_id for c in chunks])  # what ranking does with candidates
    assert [view.chunks[c.chunk_id].sentences for c in chunks] == [c.sentences for c in chunks]
    assert not [s for s in statements if "vectors" in s], "ranking read the sentence vectors"

    entry = view.chunks["d:0007"]
    assert np.array_equal(entry.vectors, np.full((1, 4), 7, np.float32))
    assert len([s for s in statements if "vectors" in s]) == 1

    catalog.remove_document("d")  # a removal between ranking and composing
    with pytest.raises(DocumentNotFound, match="ask again"):
        _ = view.chunks["d:0008"].vectors
    catalog.close()


def test_documents_and_passage_rows_are_read_in_one_query_each(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    add(catalog, "a", "Alpha", ["First paragraph of alpha.", "Second paragraph of alpha."])
    add(catalog, "b", "Beta", ["Only paragraph of beta."])
    statements: list[str] = []
    catalog._reader().set_trace_callback(statements.append)
    view = catalog.view()
    view.documents.fetch_many(["a", "b", "a", "missing"])
    view.chunks.fetch_many(["a:0001", "b:0000", "gone:0000"], vectors=True)
    assert len(statements) == 2
    assert view.documents["b"].text == "Only paragraph of beta." and "missing" not in view.documents
    assert np.array_equal(view.chunks["a:0001"].vectors, np.full((1, 4), 1, np.float32))
    assert "gone:0000" not in view.chunks
    assert view.chunks.listed(["b:0000", "gone:0000"]) == {"b:0000"}
    assert len(statements) == 2  # all of that was answered from what the two queries read
    fresh = catalog.view()
    assert fresh.documents["a"] == view.documents["a"] and fresh.chunks["b:0000"].sentences
    catalog.close()


def test_term_chunk_counts_follow_writes_and_are_built_for_an_older_catalog(sample, tmp_path):
    catalog, reference = sample

    def counts(c: Catalog) -> dict[str, int]:
        rows = c._reader().execute("SELECT term, chunks FROM fulltext_terms WHERE chunks > 0")
        return dict(rows.fetchall())

    expected = {t: len(chunks) for t, chunks in reference._postings.items()}
    assert counts(catalog) == expected
    # Words whose case folding differs in FTS5 (final sigma) count under the project's terms.
    chunks = add(catalog, "greek", "Greek", ["Ῥῆνος ὀξύς, ὁ ποταμός.", "ὁ ποταμός ὀξύς"])
    assert catalog.view().bm25.frequencies(["ὀξύς", "ποταμός"]) == {"ὀξύς": 2, "ποταμός": 2}
    assert [c for c, _ in catalog.search_lexical(["ῥῆνος"], 5)] == [chunks[0].chunk_id]
    catalog.remove_document("greek")
    catalog.remove_document("doc0")
    for chunk_id in [c for c in list(reference._lengths) if c.startswith("doc0:")]:
        reference.remove(chunk_id)
    assert counts(catalog) == {t: len(c) for t, c in reference._postings.items()}

    path = tmp_path / "older.sqlite"
    older = Catalog(path)
    add(older, "old", "Old", ["Treaty of mutual assistance.", "Shells for fuel and food."])
    older.close()
    db = sqlite3.connect(path)
    db.execute("DROP TABLE fulltext_terms")  # as a catalog written before the counts were kept
    db.commit()
    db.close()
    reopened = Catalog(path)
    assert counts(reopened)["fuel"] == 1 and counts(reopened)["old"] == 2
    assert [c for c, _ in reopened.search_lexical(lexical_terms("fuel"), 5)] == ["old:0001"]
    reopened.close()
