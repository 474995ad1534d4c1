"""The shared fixtures themselves work: sample corpus indexed, Chroma server reachable."""

import pytest

from qa.settings import Settings


def test_sample_corpus_is_indexed(sample_pipeline):
    docs = sample_pipeline.documents()
    assert len(docs) == 2
    assert all(d.chunks > 0 for d in docs)


@pytest.mark.server
def test_chroma_server_fixture_serves_heartbeat(chroma_server):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    host, port = chroma_server.removeprefix("http://").split(":")
    client = chromadb.HttpClient(
        host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
    )
    assert client.heartbeat() > 0
    assert isinstance(Settings(_env_file=None).store.collection, str)
