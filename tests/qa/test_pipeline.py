"""Writes through the pipeline: idempotent re-indexing, replacing and removing documents,
and all-or-nothing writes when a run dies between Chroma and the catalog."""

import shutil
from pathlib import Path

import pytest

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.errors import DocumentNotFound, InputError, InvalidQuestion
from qa.pipeline import Pipeline, build_pipeline
from tests.conftest import lend_embedder

OLD_SENTENCE = (
    "In March, Russia vetoed the extension of a UN panel that had been responsible for "
    "monitoring sanctions enforcement."
)
NEW_SENTENCE = (
    "In April, the lighthouse keepers of Vladivostok voted to paint every tower bright orange."
)


def index_folder(pipeline: Pipeline, folder: Path):
    return index_documents(pipeline, plan_paths([folder], 10**8).documents)


def snapshot(pipeline: Pipeline) -> tuple[set[str], set[str], dict[str, int]]:
    """Chroma's chunk ids, the catalog's chunk ids, and chunks per document."""
    view = pipeline.catalog.view()
    return (
        pipeline.store.ids(),
        set(view.chunks),
        {d.doc_id: d.chunks for d in pipeline.documents()},
    )


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the sample corpus that a test may edit."""
    return Path(shutil.copytree(SAMPLE_CORPUS, tmp_path / "corpus"))


def bernal_id(pipeline: Pipeline) -> str:
    return next(d.doc_id for d in pipeline.documents() if d.source.startswith("004"))


def test_reindexing_the_corpus_changes_nothing(pipeline_factory, corpus):
    pipeline = pipeline_factory()
    first = index_folder(pipeline, corpus)
    assert [r.status for r in first] == ["added", "added"]
    before = snapshot(pipeline)
    assert before[0] == before[1]
    assert pipeline.store.count() == len(before[1]) == sum(r.chunks for r in first)
    again = index_folder(pipeline, corpus)
    assert [r.status for r in again] == ["unchanged", "unchanged"]
    assert [r.chunks for r in again] == [r.chunks for r in first]
    assert snapshot(pipeline) == before
    assert pipeline.store.count() == len(before[1])


def test_editing_a_document_replaces_its_chunks(pipeline_factory, corpus):
    pipeline = pipeline_factory()
    index_folder(pipeline, corpus)
    doc_id = bernal_id(pipeline)
    old_ids = set(pipeline.catalog.view().by_doc[doc_id])
    other_ids = set(pipeline.catalog.view().chunks) - old_ids
    assert OLD_SENTENCE in pipeline.document(doc_id).text
    assert pipeline.ask("What did Russia veto in March?").citations[0].quote == OLD_SENTENCE

    path = corpus / "004_a5707477a1615087.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE))
    results = {r.doc_id: r.status for r in index_folder(pipeline, corpus)}
    assert results[doc_id] == "replaced"
    assert list(results.values()).count("unchanged") == 1

    chroma_ids, catalog_ids, _ = snapshot(pipeline)
    new_ids = set(pipeline.catalog.view().by_doc[doc_id])
    stale = old_ids - new_ids
    assert stale, "the edit should have changed at least one chunk"
    assert not stale & chroma_ids, "stale chunks remain in Chroma"
    assert not stale & catalog_ids, "stale chunks remain in the catalog"
    assert chroma_ids == catalog_ids == new_ids | other_ids
    assert pipeline.catalog.pending() == set()
    assert NEW_SENTENCE in pipeline.document(doc_id).text
    assert OLD_SENTENCE not in pipeline.document(doc_id).text

    answer = pipeline.ask("What did the lighthouse keepers of Vladivostok vote for?")
    assert not answer.abstained
    assert NEW_SENTENCE in [c.quote for c in answer.citations]
    for question in ("What did Russia veto in March?", "Which UN panel did Russia block?"):
        answer = pipeline.ask(question)
        assert all("vetoed the extension" not in c.quote for c in answer.citations)
        assert all("vetoed the extension" not in p.text for p in answer.passages)


def test_removing_a_document_leaves_none_of_its_chunks(pipeline_factory, corpus):
    pipeline = pipeline_factory()
    index_folder(pipeline, corpus)
    doc_id = bernal_id(pipeline)
    ids = set(pipeline.catalog.view().by_doc[doc_id])
    assert pipeline.remove_document(doc_id) == len(ids)
    chroma_ids, catalog_ids, per_doc = snapshot(pipeline)
    assert not ids & chroma_ids
    assert not ids & catalog_ids
    assert chroma_ids == catalog_ids
    assert doc_id not in per_doc and len(per_doc) == 1
    assert pipeline.catalog.pending() == set()
    answer = pipeline.ask("What did Russia veto in March?")
    assert all(p.doc_id != doc_id for p in answer.passages)
    with pytest.raises(DocumentNotFound, match=doc_id):
        pipeline.remove_document(doc_id)
    with pytest.raises(DocumentNotFound):
        pipeline.ask("What did Russia veto in March?", doc_ids=[doc_id])


class Interrupted(Exception):
    """Stands in for a crash between the Chroma write and the catalog commit."""


def test_an_interrupted_write_leaves_nothing_searchable_and_is_cleaned_up(
    settings_factory, embedder, corpus, monkeypatch
):
    settings = settings_factory()
    pipeline = lend_embedder(build_pipeline(settings), embedder)
    documents = plan_paths([corpus], 10**8).documents
    rim, bernal = sorted(documents, key=lambda d: d.source)
    index_documents(pipeline, [rim])
    committed = snapshot(pipeline)

    def crash(*args, **kwargs):
        raise Interrupted("power cut")

    monkeypatch.setattr(pipeline.catalog, "replace_document", crash)
    with pytest.raises(Interrupted):
        index_documents(pipeline, [bernal])
    monkeypatch.undo()

    # Chroma accepted the chunks, but the catalog never committed them.
    orphans = pipeline.store.ids() - committed[1]
    assert orphans, "the injected failure should come after Chroma's write"
    assert pipeline.catalog.pending() == orphans
    assert set(pipeline.catalog.view().chunks) == committed[1]
    assert [d.doc_id for d in pipeline.documents()] == [rim.doc_id]
    answer = pipeline.ask("What did Russia veto in March?", top_k=10)
    assert all(p.doc_id == rim.doc_id for p in answer.passages)
    assert all(p.chunk_id not in orphans for p in answer.passages)
    pipeline.close()

    # The next run (a new process would do the same) deletes the orphans first.
    reopened = lend_embedder(build_pipeline(settings), embedder)
    try:
        assert reopened.store.ids() == committed[0]
        assert reopened.catalog.pending() == set()
        assert snapshot(reopened) == committed
        assert [r.status for r in index_documents(reopened, [bernal])] == ["added"]
        chroma_ids, catalog_ids, per_doc = snapshot(reopened)
        assert chroma_ids == catalog_ids and len(per_doc) == 2
    finally:
        reopened.close()


def test_a_failed_replacement_keeps_the_old_version_whole(pipeline_factory, corpus, monkeypatch):
    pipeline = pipeline_factory()
    index_folder(pipeline, corpus)
    doc_id = bernal_id(pipeline)
    before = snapshot(pipeline)
    old_text = pipeline.document(doc_id).text
    path = corpus / "004_a5707477a1615087.txt"
    path.write_text(path.read_text(encoding="utf-8").replace(OLD_SENTENCE, NEW_SENTENCE))

    def crash(*args, **kwargs):
        raise Interrupted("killed")

    monkeypatch.setattr(pipeline.catalog, "replace_document", crash)
    with pytest.raises(Interrupted):
        index_folder(pipeline, corpus)
    monkeypatch.undo()
    assert pipeline.document(doc_id).text == old_text
    assert set(pipeline.catalog.view().chunks) == before[1]
    answer = pipeline.ask("What did the lighthouse keepers of Vladivostok vote for?")
    assert all(NEW_SENTENCE not in p.text for p in answer.passages)
    assert pipeline.ask("What did Russia veto in March?").citations[0].quote == OLD_SENTENCE

    pipeline.recover()  # what the next run does first
    assert snapshot(pipeline) == before
    assert [r.status for r in index_folder(pipeline, corpus)][1] == "replaced"
    assert NEW_SENTENCE in pipeline.document(doc_id).text


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 10_000, "10000 characters")],
)
def test_bad_questions_are_refused(sample_pipeline, question, message):
    with pytest.raises(InvalidQuestion, match=message):
        sample_pipeline.ask(question)


def test_asking_an_empty_index_says_to_index_first(pipeline):
    with pytest.raises(InputError, match="index"):
        pipeline.ask("What did Russia veto in March?")


def test_unknown_document_filter_is_refused(sample_pipeline):
    with pytest.raises(DocumentNotFound, match="no-such-doc"):
        sample_pipeline.ask("What did Russia veto in March?", doc_ids=["no-such-doc"])
