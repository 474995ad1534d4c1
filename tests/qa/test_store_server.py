"""Server mode: the same pipeline against a real `chroma run` on a loopback port."""

import uuid

import pytest

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.errors import StoreUnavailable
from qa.pipeline import build_pipeline
from tests.conftest import free_port, lend_embedder, make_settings, run_chroma_server, stop_process

pytestmark = pytest.mark.server


def server_settings(tmp_path, url: str):
    # A collection of its own, so tests sharing the session's server do not meet.
    collection = f"test_{uuid.uuid4().hex[:12]}"
    return make_settings(tmp_path / "store", store={"url": url, "collection": collection})


def test_index_ask_and_remove_against_a_chroma_server(chroma_server, tmp_path, embedder):
    settings = server_settings(tmp_path, chroma_server)
    pipeline = lend_embedder(build_pipeline(settings), embedder)
    try:
        assert pipeline.store.location == chroma_server
        pipeline.store.heartbeat()
        documents = plan_paths([SAMPLE_CORPUS], 10**8).documents
        results = index_documents(pipeline, documents)
        total = sum(r.chunks for r in results)
        assert pipeline.store.count() == total == len(pipeline.catalog.view().chunks)
        assert pipeline.store.ids() == set(pipeline.catalog.view().chunks)
        # Nothing was written to an embedded store beside the catalog.
        assert not (settings.store.path / "chroma").exists()

        answer = pipeline.ask("What did Russia veto in March?")
        assert not answer.abstained
        assert "vetoed the extension of a UN panel" in answer.citations[0].quote
        assert any(p.dense_score is not None for p in answer.passages)

        assert [r.status for r in index_documents(pipeline, documents)] == ["unchanged"] * 2
        assert pipeline.store.count() == total

        gone = results[1].doc_id
        ids = set(pipeline.catalog.view().by_doc[gone])
        assert pipeline.remove_document(gone) == len(ids)
        assert not ids & pipeline.store.ids()
        assert pipeline.store.count() == total - len(ids)
        answer = pipeline.ask("What did Russia veto in March?")
        assert all(p.doc_id != gone for p in answer.passages)
    finally:
        pipeline.close()


def test_a_stopped_server_gives_store_unavailable(tmp_path, embedder):
    with run_chroma_server(tmp_path / "short-lived") as (url, process):
        settings = server_settings(tmp_path, url)
        pipeline = lend_embedder(build_pipeline(settings), embedder)
        documents = plan_paths([SAMPLE_CORPUS], 10**8).documents
        index_documents(pipeline, documents[:1])
        before = (pipeline.documents(), set(pipeline.catalog.view().chunks))
        stop_process(process)

        with pytest.raises(StoreUnavailable, match="Chroma"):
            pipeline.store.heartbeat()
        with pytest.raises(StoreUnavailable, match=url):
            pipeline.ask("What did Russia veto in March?")
        with pytest.raises(StoreUnavailable):
            index_documents(pipeline, documents[1:])
        # The failed write committed nothing.
        assert (pipeline.documents(), set(pipeline.catalog.view().chunks)) == before
        pipeline.close()
        with pytest.raises(StoreUnavailable, match=url):
            build_pipeline(settings)


def test_no_server_at_the_url_gives_store_unavailable(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailable) as exc:
        build_pipeline(server_settings(tmp_path, url))
    assert url in exc.value.message and "\n" not in exc.value.message
