"""Answers over the sample corpus: the right passage is found, every citation quotes the
document verbatim at its offsets, and the answerer abstains where the documents are silent."""

import re

import pytest

from qa.types import Answer
from tests.qa.questions import ANSWERABLE, HARD_ANSWERABLE, HARD_UNANSWERABLE, UNANSWERABLE

TOP_K = 5


def check_citations(answer: Answer, pipeline) -> None:
    """Every citation quotes its passage's chunk and the document at the cited offsets."""
    view = pipeline.catalog.view()
    for citation in answer.citations:
        passage = answer.passages[citation.marker - 1]
        assert citation.chunk_id == passage.chunk_id
        assert citation.doc_id == passage.doc_id
        assert (citation.title, citation.source) == (passage.title, passage.source)
        document = view.documents[citation.doc_id]
        entry = view.chunks[citation.chunk_id]
        chunk_text = document.text[entry.start : entry.end]
        assert citation.quote, "empty quote"
        assert citation.quote in chunk_text
        assert document.text[citation.start : citation.end] == citation.quote
        assert entry.start <= citation.start < citation.end <= entry.end
        assert citation.quote in passage.text
        assert f"[{citation.marker}]" in answer.text


@pytest.fixture(scope="module")
def answers(sample_pipeline) -> dict[str, Answer]:
    questions = [q for q, _, _ in ANSWERABLE] + [q for q, _, _, _ in HARD_ANSWERABLE]
    questions += UNANSWERABLE + [q for q, _ in HARD_UNANSWERABLE]
    return {q: sample_pipeline.ask(q, top_k=TOP_K) for q in questions}


def test_question_lists_are_big_enough():
    assert len(ANSWERABLE) >= 15
    assert len(UNANSWERABLE) >= 5
    assert len({q for q, _, _ in ANSWERABLE}) == len(ANSWERABLE)


def test_expected_substrings_are_in_their_documents(sample_pipeline):
    texts = {d.source: d.text for d in sample_pipeline.catalog.view().documents.values()}
    for question, expected, source in ANSWERABLE:
        assert expected in texts[source], f"{question!r}: fix the expected text"


@pytest.mark.parametrize(("question", "expected", "source"), ANSWERABLE)
def test_passage_with_the_answer_is_in_the_top_5(answers, question, expected, source):
    answer = answers[question]
    assert len(answer.passages) == TOP_K
    assert any(expected in p.text and p.source == source for p in answer.passages), [
        p.text[:80] for p in answer.passages
    ]


@pytest.mark.parametrize(("question", "expected", "source"), ANSWERABLE)
def test_answerable_question_gets_a_cited_answer(
    answers, sample_pipeline, question, expected, source
):
    answer = answers[question]
    assert not answer.abstained, f"abstained with support {answer.support}"
    assert answer.citations
    check_citations(answer, sample_pipeline)
    assert any(expected in c.quote for c in answer.citations), answer.text
    # Every sentence of the answer carries a marker: nothing is left once they are removed.
    rest = answer.text
    for c in answer.citations:
        rest = rest.replace(f"{c.quote} [{c.marker}]", "", 1)
    assert not rest.strip(), f"uncited text: {rest!r}"
    assert answer.backend == "extractive"


@pytest.mark.parametrize(("question", "expected", "source", "why"), HARD_ANSWERABLE)
def test_hard_answerable_question_finds_the_passage(answers, question, expected, source, why):
    answer = answers[question]
    assert any(expected in p.text and p.source == source for p in answer.passages)
    assert not answer.abstained


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param(q, e, marks=pytest.mark.xfail(reason=why, strict=False))
        for q, e, _, why in HARD_ANSWERABLE
    ],
)
def test_hard_answerable_question_quotes_the_answer(answers, question, expected):
    assert any(expected in c.quote for c in answers[question].citations)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_question_gets_an_abstention(answers, question):
    answer = answers[question]
    assert answer.abstained, f"answered {answer.text!r} with support {answer.support}"
    assert answer.citations == ()
    assert len(answer.passages) == TOP_K  # the closest passages are still shown
    assert answer.text and not re.search(r"\[\d+\]", answer.text)


@pytest.mark.parametrize(
    "question",
    [
        pytest.param(q, marks=pytest.mark.xfail(reason=why, strict=False))
        for q, why in HARD_UNANSWERABLE
    ],
)
def test_hard_unanswerable_question_gets_an_abstention(answers, question):
    answer = answers[question]
    assert answer.abstained, f"answered {answer.text!r} with support {answer.support}"


def test_every_answer_has_valid_citations_support_and_timings(answers, sample_pipeline):
    for answer in answers.values():
        check_citations(answer, sample_pipeline)
        assert 0.0 <= answer.support <= 1.0
        assert set(answer.timings_ms) >= {"embed_ms", "retrieve_ms", "compose_ms", "total_ms"}
