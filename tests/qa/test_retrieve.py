"""qa.retrieve: fusion of rankings, and retrieval over the indexed sample corpus."""

import subprocess
import sys

import pytest

from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.compose import AnswerContext, score_sentences
from qa.retrieve import fuse_convex, fuse_rrf

DENSE = [("a", 0.9), ("b", 0.8), ("c", 0.5)]
LEXICAL = [("c", 12.0), ("d", 6.0), ("a", 3.0)]


def test_convex_fusion_weights_normalised_scores():
    fused = dict(fuse_convex(DENSE, LEXICAL, dense_weight=0.5))
    # a: dense 1.0, lexical 0.0; c: dense 0.0, lexical 1.0; b: 0.75 dense only; d: 1/3 lexical.
    assert fused == pytest.approx({"a": 0.5, "b": 0.375, "c": 0.5, "d": 1 / 6})
    assert [i for i, _ in fuse_convex(DENSE, LEXICAL, 1.0)][:3] == ["a", "b", "c"]
    assert [i for i, _ in fuse_convex(DENSE, LEXICAL, 0.0)][:3] == ["c", "d", "a"]


def test_convex_fusion_of_one_sided_or_flat_rankings():
    assert fuse_convex([], [], 0.5) == []
    assert dict(fuse_convex([("x", 0.3)], [], 0.7)) == pytest.approx({"x": 0.7})
    flat = dict(fuse_convex([("x", 0.4), ("y", 0.4)], [], 1.0))
    assert flat == pytest.approx({"x": 1.0, "y": 1.0})


def test_rrf_rewards_agreement_between_rankers():
    fused = fuse_rrf(DENSE, LEXICAL, dense_weight=0.5, k=60)
    scores = dict(fused)
    assert scores["a"] == pytest.approx(0.5 / 61 + 0.5 / 63)
    assert scores["d"] == pytest.approx(0.5 / 62)
    assert [i for i, _ in fused] == ["a", "c", "b", "d"]
    # Scores depend on ranks only, not on the raw values.
    rescaled = [(i, s * 1000) for i, s in LEXICAL]
    assert fuse_rrf(DENSE, rescaled, 0.5, 60) == fused


def test_rrf_weight_favours_one_ranker():
    assert fuse_rrf(DENSE, LEXICAL, 1.0, 60)[0][0] == "a"
    assert fuse_rrf(DENSE, LEXICAL, 0.0, 60)[0][0] == "c"


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_finds_the_passage(sample_pipeline, mode):
    view = sample_pipeline.catalog.view()
    question = "What did Russia veto in March?"
    vector = sample_pipeline.embedder.encode([question])[0]
    _, fused, dense, lexical = sample_pipeline.retriever.rank(question, vector, 3, mode=mode)
    assert len(fused) <= 3
    assert fused == sorted(fused, key=lambda item: item[1], reverse=True)
    best = view.chunks[fused[0][0]]
    text = view.documents[best.doc_id].text[best.start : best.end]
    assert "vetoed the extension of a UN panel" in text
    assert bool(dense) == (mode != "bm25")
    assert bool(lexical) == (mode != "dense")


def test_filter_by_document(sample_pipeline):
    docs = [d.doc_id for d in sample_pipeline.documents()]
    for doc_id in docs:
        answer = sample_pipeline.ask("What does the treaty provide for?", doc_ids=[doc_id])
        assert answer.passages
        assert {p.doc_id for p in answer.passages} == {doc_id}
        assert all(c.doc_id == doc_id for c in answer.citations)


def test_passages_carry_ranks_scores_and_document_text(sample_pipeline):
    answer = sample_pipeline.ask("Why would Russia not want a hot war in Korea?", top_k=4)
    assert [p.rank for p in answer.passages] == [1, 2, 3, 4]
    scores = [p.score for p in answer.passages]
    assert scores == sorted(scores, reverse=True)
    view = sample_pipeline.catalog.view()
    for p in answer.passages:
        assert p.text == view.documents[p.doc_id].text[p.start : p.end]
        assert p.dense_score is not None or p.lexical_score is not None


PARALLEL_CASES = [
    ("What did Russia veto in March?", None, None),
    ("How many missiles did North Korea launch in 2022?", None, 8),
    ("What does China think about closer Russia-North Korea relations?", "bm25", None),
    ("Who is Gabriela Bernal?", "dense", None),
    ("What is the capital of France?", None, None),
]


@pytest.mark.parametrize(("question", "mode", "top_k"), PARALLEL_CASES)
def test_a_retrieval_started_before_the_vector_finds_what_the_sequential_one_does(
    sample_pipeline, question, mode, top_k
):
    retriever = sample_pipeline.retriever
    vector = sample_pipeline.embedder.encode([question])[0]
    started = retriever.start(question, top_k, mode=mode)
    view, passages = retriever.finish(started, vector)
    sequential = retriever.start(question, top_k, mode=mode, parallel=False)
    assert passages == retriever.finish(sequential, vector)[1]
    assert passages and len(passages) == (top_k or sample_pipeline.settings.retrieval.top_k)
    fused = retriever.rank(question, vector, len(passages), mode=mode)[1]
    assert [p.chunk_id for p in passages] == [c for c, _ in fused]
    # Composing weighs the question's terms by idf; the lexical search read them already.
    statements: list[str] = []
    sample_pipeline.catalog._reader().set_trace_callback(statements.append)
    try:
        context = AnswerContext(question, question, vector, tuple(passages), view)
        score_sentences(context)
    finally:
        sample_pipeline.catalog._reader().set_trace_callback(None)
    if mode != "dense":
        assert not [s for s in statements if "fulltext_vocab" in s], statements


def test_a_started_retrieval_keeps_its_document_filter(sample_pipeline):
    docs = [d.doc_id for d in sample_pipeline.documents()]
    question = "What does the treaty provide for?"
    vector = sample_pipeline.embedder.encode([question])[0]
    for doc_id in docs:
        started = sample_pipeline.retriever.start(question, doc_ids=[doc_id])
        _, passages = sample_pipeline.retriever.finish(started, vector)
        assert passages and {p.doc_id for p in passages} == {doc_id}


LATE_WRITER = """
import sys
import numpy as np
from pathlib import Path
from qa.catalog import Catalog
from qa.types import Chunk, Document
catalog = Catalog(Path(sys.argv[1]))
if sys.argv[2] == "add":
    text = "Vladivostok lighthouse keepers voted to paint every tower orange."
    chunk = Chunk("late:0000", "late", 0, 0, len(text), text, ((0, len(text)),))
    document = Document("late", "Late news", "late.txt", text)
    catalog.replace_document(document, "fp", [chunk], [np.ones((1, 384), np.float32)], set())
else:
    catalog.remove_document("late")
catalog.close()
"""


def test_the_lexical_worker_sees_another_process_commit_and_removal(pipeline_factory):
    pipeline = pipeline_factory()
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    retriever, question = pipeline.retriever, "Vladivostok lighthouse keepers"
    vector = pipeline.embedder.encode([question])[0]

    def lexical_ids() -> set[str]:
        started = retriever.start(question, 5, mode="bm25")
        return {p.chunk_id for p in retriever.finish(started, vector)[1]}

    opened = len(pipeline.catalog._opened)
    assert "late:0000" not in lexical_ids()
    # The search ran on a worker's own read connection, which is kept for the next question.
    assert len(pipeline.catalog._opened) > opened
    path = str(pipeline.settings.store.path / "catalog.sqlite")
    for action, expected in (("add", True), ("remove", False)):
        subprocess.run([sys.executable, "-c", LATE_WRITER, path, action], check=True, timeout=120)
        assert ("late:0000" in lexical_ids()) is expected
