"""The embedder's word-piece counts and vectors, against the model's own, fp32 and int8."""

import numpy as np
import pytest

from qa.embeddings import Embedder
from qa.errors import ConfigError
from qa.settings import EmbeddingSettings

TEXTS = [
    "",
    "Short text.",
    "Café au lait, naïve résumé; Tōkyō\u00a0and São Paulo!",
    "The Normans were descended from Norse raiders. " * 60,  # far past the model's limit
]


def test_token_counts_match_the_tokenizer_without_truncation(embedder: Embedder) -> None:
    for text in TEXTS:
        assert embedder.count_tokens(text) == len(embedder.tokenizer.tokenize(text))
    assert embedder.count_tokens(TEXTS[-1]) > embedder.max_tokens


def test_chunk_vectors_do_not_depend_on_the_number_of_workers(embedder: Embedder) -> None:
    texts = [f"Sentence number {n} is about harbour number {n * 7}. It is short." for n in range(9)]
    spans = [[(0, t.index(".") + 1), (t.index(".") + 2, len(t))] for t in texts]
    one = embedder.fork(threads=1)
    one.batch_size = two_batch = 2
    two = embedder.fork(threads=2)
    two.batch_size = two_batch
    chunk_one, sentences_one = one.encode_chunks(texts, spans)
    chunk_two, sentences_two = two.encode_chunks(texts, spans)

    assert np.allclose(chunk_one, chunk_two, atol=1e-5)
    for a, b in zip(sentences_one, sentences_two, strict=True):
        assert a.shape == (2, chunk_one.shape[1]) and np.allclose(a, b, atol=1e-5)
    # The chunk vector is the model's own sentence embedding of the whole text.
    assert np.allclose(chunk_one, embedder.encode(texts), atol=1e-4)


@pytest.fixture(scope="module")
def int8() -> Embedder:
    return Embedder(EmbeddingSettings(backend="onnx-int8"))


def test_the_int8_model_agrees_with_fp32(embedder: Embedder, int8: Embedder) -> None:
    texts = [TEXTS[1], TEXTS[2], TEXTS[3], "Who repaired the lens of the lighthouse?"]
    assert int8.name != embedder.name  # stores keep the two apart by this name
    assert [int8.count_tokens(t) for t in TEXTS] == [embedder.count_tokens(t) for t in TEXTS]
    cosines = np.sum(int8.encode(texts) * embedder.encode(texts), axis=1)
    assert cosines.min() > 0.995
    spans = [[(0, 6), (6, len(t))] for t in texts]
    chunks, sentences = int8.encode_chunks(texts, spans)
    assert np.allclose(chunks, int8.encode(texts), atol=1e-5)
    assert np.sum(chunks * embedder.encode_chunks(texts, spans)[0], axis=1).min() > 0.995
    assert all(s.shape == (2, chunks.shape[1]) for s in sentences)


def test_the_int8_model_refuses_a_model_folder(tmp_path) -> None:
    with pytest.raises(ConfigError, match="QA_EMBEDDINGS__MODEL_PATH"):
        Embedder(EmbeddingSettings(backend="onnx-int8", model_path=tmp_path))


def test_a_question_with_another_encoder_than_the_store_is_refused(tmp_path, embedder) -> None:
    """Writes of a second encoder are refused; so is a question: its vector would be ranked
    against the other model's vectors."""
    from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
    from qa.pipeline import build_pipeline
    from tests.conftest import lend_embedder, make_settings

    fp32 = lend_embedder(build_pipeline(make_settings(tmp_path / "store")), embedder)
    index_documents(fp32, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    assert fp32.ask("What did Russia veto in March?").citations
    fp32.close()
    other = build_pipeline(make_settings(tmp_path / "store", embeddings={"backend": "onnx-int8"}))
    with pytest.raises(ConfigError, match="QA_EMBEDDINGS__BACKEND"):
        other.ask("What did Russia veto in March?")
    other.close()
