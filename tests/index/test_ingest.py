"""Indexing many documents: shared Chroma writes, whole documents, versions in order."""

from pathlib import Path

import pytest

from index.ingest import build_document, index_documents, plan_paths
from index.load import Loaded
from qa.errors import ConfigError
from qa.pipeline import build_pipeline
from tests.conftest import PipelineFactory, make_settings
from tests.crash_checks import write_corpus


def test_small_documents_share_one_chroma_write(
    tmp_path: Path, pipeline_factory: PipelineFactory
) -> None:
    pipeline = pipeline_factory()
    documents = plan_paths(write_corpus(tmp_path / "corpus", 6), 10**8).documents
    upserts: list[int] = []
    real_upsert = pipeline.store.upsert

    def counted(chunks, vectors, titles):  # the real write, counted
        upserts.append(len(chunks))
        real_upsert(chunks, vectors, titles)

    pipeline.store.upsert = counted  # type: ignore[method-assign]
    results = index_documents(pipeline, documents)

    assert [r.status for r in results] == ["added"] * 6
    assert len(upserts) == 1 and upserts[0] == sum(r.chunks for r in results)
    view = pipeline.catalog.view()
    assert pipeline.store.ids() == set(view.chunks) and not pipeline.catalog.pending()
    for document, result in zip(documents, results, strict=True):
        assert len(view.by_doc[document.doc_id]) == result.chunks
    answer = pipeline.ask("What did the school board approve?", top_k=10)
    assert answer.passages and all(p.chunk_id in view.chunks for p in answer.passages)


def test_a_document_given_twice_ends_at_its_last_version(
    pipeline_factory: PipelineFactory,
) -> None:
    pipeline = pipeline_factory()
    first = build_document("notes.txt", Loaded("The ferry leaves at nine. " * 20, "Notes"))
    second = build_document("notes.txt", Loaded("The ferry leaves at ten. " * 20, "Notes"))
    results = index_documents(pipeline, [first, second])

    assert [r.status for r in results] == ["added", "added"]  # indexed once
    assert pipeline.document(first.doc_id).text == second.text
    view = pipeline.catalog.view()
    for chunk_id in view.by_doc[first.doc_id]:
        entry = view.chunks[chunk_id]
        assert "ten" in second.text[entry.start : entry.end]
    assert pipeline.store.ids() == set(pipeline.catalog.view().chunks)
    assert not pipeline.catalog.pending()


def test_a_store_refuses_vectors_of_another_encoder(
    tmp_path: Path, pipeline_factory: PipelineFactory
) -> None:
    pipeline = pipeline_factory()  # fp32, the session's model
    documents = plan_paths(write_corpus(tmp_path / "corpus", 2), 10**8).documents
    index_documents(pipeline, documents[:1])
    before = (pipeline.store.ids(), set(pipeline.catalog.view().chunks))

    int8 = build_pipeline(
        make_settings(pipeline.settings.store.path, embeddings={"backend": "onnx-int8"})
    )
    try:
        with pytest.raises(ConfigError, match="onnx-int8"):
            index_documents(int8, documents)
        assert (int8.store.ids(), set(int8.catalog.view().chunks)) == before
    finally:
        int8.close()
