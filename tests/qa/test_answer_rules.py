"""The extractive answerer's rules: headings are never quoted, support agrees with the
decision to answer, and the answer holds the kind of thing the question asks for."""

import pytest

from qa.answer_type import expected_type, has_type
from qa.compose import is_heading
from tests.qa.test_answers import check_citations

TITLE = "The Long History of the Harbour Bridge"
HEADING = "## Why the Harbour Bridge was built"
HARBOUR = (
    f"{TITLE}\n\n"
    f"{HEADING}\n\n"
    "The Harbour Bridge was opened by the city council after eight years of building work. "
    "Its steel arch was praised by engineers from many countries.\n\n"
    "Ferries still cross the harbour beneath the bridge every day.\n\n"
    "Toll prices.\n\n"
    "Drivers pay a small fee to cross, which funds repairs."
)


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("Harbour Bridge history", True),  # the title
        ("## When the Harbour Bridge opened", True),  # a Markdown heading
        ("Results and discussion", True),  # a short line without a full stop
        ("The Harbour Bridge was opened by the city council.", False),
    ],
)
def test_heading_lines_are_recognised(line, heading):
    text = f"Intro sentence here.\n{line}\nMore text follows here."
    start = text.index(line)
    assert is_heading(text, start, start + len(line), "Harbour Bridge history") is heading


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When did Putin visit Pyongyang?", "time"),
        ("In what year was the bridge opened?", "time"),
        ("How many missiles did North Korea launch?", "quantity"),
        ("Where did the summit take place?", "place"),
        ("Who is Gabriela Bernal?", "agent"),
        ("What did Russia veto in March?", None),
        ("In which year was the September 19 Military Agreement signed?", "time"),
        # "When" opening a clause, not asking for a time (held-out SQuAD questions):
        ("When large groups of people boycott a system it can be considered?", None),
        ("When many people are arrested, what is a common tactic?", None),
    ],
)
def test_question_types(question, kind):
    assert expected_type(question) == kind


def test_sentences_with_and_without_the_type():
    assert has_type("Putin visited on June 19.", "time")
    assert not has_type("Putin visited the city with his ministers.", "time")
    assert has_type("North Korea launched 70 missiles.", "quantity")
    assert not has_type("North Korea launched missiles.", "quantity")


@pytest.fixture
def harbour(pipeline_factory, tmp_path):
    from index.ingest import index_documents, plan_paths

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.md").write_text(HARBOUR, encoding="utf-8")
    p = pipeline_factory()
    index_documents(p, plan_paths([folder], 10**8).documents)
    return p


def test_title_and_headings_are_never_quoted(harbour):
    for question in [
        "What is the long history of the Harbour Bridge?",
        "Why was the Harbour Bridge built?",
    ]:
        answer = harbour.ask(question)
        check_citations(answer, harbour)
        for citation in answer.citations:
            assert citation.quote not in {TITLE, HEADING}, question


def test_type_mismatch_abstains_and_a_match_answers(harbour):
    # The documents say who opened the bridge but never when.
    when = harbour.ask("When was the Harbour Bridge opened?")
    assert when.abstained, when.text
    who = harbour.ask("Who opened the Harbour Bridge?")
    assert not who.abstained, who.support
    assert "city council" in who.text
    many = harbour.ask("How many years did building the Harbour Bridge take?")
    assert not many.abstained and "eight years" in many.text


def test_support_agrees_with_the_decision_on_fragments_and_headings(harbour):
    threshold = harbour.answerer.threshold
    for question in [
        "What are the toll prices?",
        "Toll prices?",
        "Why was the Harbour Bridge built?",
        "What is the long history of the Harbour Bridge?",
    ]:
        answer = harbour.ask(question)
        assert (answer.support >= threshold) == (not answer.abstained), (question, answer.support)


def test_support_agrees_with_the_decision(sample_pipeline):
    from tests.qa.questions import ANSWERABLE, UNANSWERABLE

    threshold = sample_pipeline.answerer.threshold
    for question in [q for q, _, _ in ANSWERABLE] + UNANSWERABLE:
        answer = sample_pipeline.ask(question)
        assert (answer.support >= threshold) == (not answer.abstained), (question, answer.support)


def test_learned_support_loads_and_agrees_with_the_decision(pipeline_factory, sample_pipeline):
    from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
    from tests.qa.questions import ANSWERABLE, UNANSWERABLE

    p = pipeline_factory("learned", answer={"support": "learned"})
    index_documents(p, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    model = p.answerer.model
    assert model is not None and 0 < p.answerer.threshold < 1
    for question in [q for q, _, _ in ANSWERABLE[:6]] + UNANSWERABLE[:3]:
        answer = p.ask(question)
        assert 0 <= answer.support <= 1
        assert (answer.support >= p.answerer.threshold) == (not answer.abstained), question


def test_fit_logistic_learns_a_separating_signal():
    import numpy as np

    from qa.support import fit_logistic

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 8))
    y = (x[:, 0] - x[:, 1] > 0).astype(float)
    model = fit_logistic(x, y)
    assert model.weights[0] > 1 and model.weights[1] < -1
    assert ((model.probabilities(x) >= 0.5) == (y == 1)).mean() > 0.95


def written_answer(pipeline, question: str, needle: str, sentence: str):
    """`sentence`, citing the passage that holds `needle`, as the llamacpp answerer would
    finish it (support decided by the score: no model is needed to check it)."""
    from qa.compose import AnswerContext
    from qa.llm.chat import ChatAnswerer

    answer = pipeline.ask(question)
    encode = pipeline.embedder.encode
    context = AnswerContext(
        question, question, encode([question])[0], answer.passages, pipeline.catalog.view(), encode
    )
    n = next(i for i, p in enumerate(answer.passages, start=1) if needle in p.text)
    return ChatAnswerer("written", None, pipeline.settings).finish(context, f"{sentence} [{n}].")


def test_a_written_answer_without_the_number_asked_for_is_no_answer(sample_pipeline):
    # Written on the sample set: true, cited, and not an answer to "how many".
    balloons = "trash-carrying balloons"
    question = "How many trash-carrying balloons were sent into South Korea?"
    no_number = "North Korea has been sending trash-carrying balloons into South Korean airspace"
    assert written_answer(sample_pipeline, question, balloons, no_number).abstained
    asked = "What has North Korea been sending into South Korean airspace?"
    assert not written_answer(sample_pipeline, asked, balloons, no_number).abstained
    when = "When did Putin visit Pyongyang?"
    dated = "Putin paid an official visit to Pyongyang on June 19"
    assert not written_answer(sample_pipeline, when, "On June 19", dated).abstained


def test_a_written_sentence_that_only_repeats_the_question_is_no_answer(sample_pipeline):
    # Written on a held-out RGB question and passed by the reader's judge: "The release date
    # for Animal Crossing: New Horizons on Nintendo Switch is. [1]". The score passes this one.
    veto = "Russia vetoed the extension"
    question = "What did Russia veto in March?"
    assert written_answer(sample_pipeline, question, veto, "In March, Russia did veto").abstained
    told = written_answer(sample_pipeline, question, veto, "In March, Russia vetoed a UN panel")
    assert not told.abstained, "one word the question lacks makes it an answer"
    yes_no = "Did Russia veto the extension of a UN panel in March?"
    said = "Russia did veto the extension of a UN panel in March"
    assert not written_answer(sample_pipeline, yes_no, veto, said).abstained
