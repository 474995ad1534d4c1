"""The packaged reader for real: the entailment judge and select-then-quote on the sample corpus."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from qa.pipeline import Pipeline
from qa.settings import LLMSettings
from qa.types import Turn
from tests.qa.llm.conftest import indexed_pipeline

pytestmark = pytest.mark.llm
READER = {"timeout_s": 300.0, "threads": 2, "batch_threads": 2}
EVIDENCE = [
    "Japan condemned the pact signed in Vienna on 3 March.",
    "In March, Russia vetoed the extension of a UN panel that monitored sanctions.",
]


@pytest.fixture(scope="module")
def judge():
    pytest.importorskip("llama_cpp")
    from qa.llm.judge import EntailmentJudge
    from qa.llm.local import load_local_model

    return EntailmentJudge(load_local_model(LLMSettings(**READER)))


def test_contradicted_and_negated_claims_are_unsupported(judge):
    claims = [
        "Japan welcomed the pact.",  # contradicted
        "Russia did not veto the extension of the UN panel.",  # negated
        "China praised the pact.",  # not in the evidence
        "Japan condemned the pact.",  # stated
        "Russia vetoed the extension of a UN panel in March.",  # stated
    ]
    p = judge.support(claims, EVIDENCE)
    assert max(p[:3]) < 0.5 <= min(p[3:]), p


def reader_pipeline(factory: pytest.TempPathFactory, provider: str) -> Iterator[Pipeline]:
    """The sample corpus answered by `provider` with the packaged reader."""
    pytest.importorskip("llama_cpp")
    store: Path = factory.mktemp(provider) / "store"
    p = indexed_pipeline(store, {"provider": provider, **READER})
    yield p
    p.close()


@pytest.fixture(scope="module")
def select_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield from reader_pipeline(tmp_path_factory, "select")


def test_select_quotes_the_documents_exactly(select_pipeline: Pipeline):
    answer = select_pipeline.ask("What did Russia veto in March?")
    assert not answer.abstained and answer.backend == "select"
    assert "UN panel" in answer.text
    for c in answer.citations:
        assert select_pipeline.document(c.doc_id).text[c.start : c.end] == c.quote
        assert f"{c.quote} [{c.marker}]" in answer.text


def test_select_abstains_when_the_documents_cannot_answer(select_pipeline: Pipeline):
    answer = select_pipeline.ask("What is the boiling point of liquid nitrogen in kelvin?")
    assert answer.abstained and not answer.citations


@pytest.fixture(scope="module")
def written_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    yield from reader_pipeline(tmp_path_factory, "llamacpp")


def test_the_reader_cannot_answer_with_a_bare_marker(written_pipeline: Pipeline):
    # The reader used to reply "[1]" alone, a marker with nothing to check: an abstention.
    answer = written_pipeline.ask("Where is Gabriela Bernal based?")
    assert not answer.abstained and answer.fallback is None, answer
    assert "Seoul" in answer.text
    for c in answer.citations:
        assert written_pipeline.document(c.doc_id).text[c.start : c.end] == c.quote


def test_a_follow_up_is_rewritten_as_a_question_not_answered(written_pipeline: Pipeline):
    # The reader used to "condense" this follow-up into a guessed answer, "Dr Gabriela Bernal
    # is based in North Korea.", which then steered retrieval.
    history = [
        Turn("user", "Who is Gabriela Bernal?"),
        Turn("assistant", "Dr Gabriela Bernal is a North Korea analyst."),
    ]
    answer = written_pipeline.ask("Where is she based?", history=history)
    assert answer.query.endswith("?") and "Bernal" in answer.query, answer.query
    assert not answer.abstained and "Seoul" in answer.text, answer


def finished(pipeline: Pipeline, question: str, written: str):
    """`written` as if the reader had written it for `question`, verified by the reader."""
    context, _, _ = pipeline._prepare(question, None, None, [])
    return pipeline.answerer.finish(context, written)


def test_a_false_premise_cannot_ride_on_a_true_reason(written_pipeline: Pipeline):
    # Written by the reader on the sample set and passed by its judge at P 0.70: Japan
    # expressed serious concerns; only the reason after "because" is in the passages.
    false = finished(
        written_pipeline,
        "Why did Japan welcome the new defence pact?",
        "Japan welcomed the new defence pact because it put several other nations in the "
        "region on high alert, especially South Korea and Japan. [4]",
    )
    assert false.abstained, false
    fair = finished(
        written_pipeline,
        "Why are tensions rising on the Korean Peninsula?",
        "Tensions are rising because North Korea has become increasingly provocative "
        "following Russia's invasion of Ukraine. [1]",
    )
    assert not fair.abstained, fair
