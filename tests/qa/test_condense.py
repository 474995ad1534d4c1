"""qa.condense: follow-up questions borrow the last user question; standalone ones do not."""

import pytest

from qa.condense import condense_prompt, condense_question, is_follow_up, written_question
from qa.types import Turn


@pytest.mark.parametrize(
    "question",
    [
        "What about China?",
        "Why?",
        "What did he say?",
        "And Japan?",
        "What does that mean for Seoul?",
        "Tell me more",
    ],
)
def test_follow_ups_are_recognised(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "What did Russia veto in March?",
        "How does the treaty affect China's relations with Russia?",
        "When did Putin visit Pyongyang?",
    ],
)
def test_standalone_questions_are_not_follow_ups(question):
    assert not is_follow_up(question)


HISTORY = [
    Turn("user", "What did North Korea receive from Russia?"),
    Turn("assistant", "Food, fuel and military technology [1]."),
    Turn("user", "  How does the pact affect South Korea?  "),
    Turn("assistant", "Seoul is considering sending arms to Ukraine [1]."),
]


def test_follow_up_is_joined_to_the_last_user_question():
    assert condense_question("What about Japan?", HISTORY) == (
        "How does the pact affect South Korea? What about Japan?"
    )


def test_standalone_question_is_kept_as_is():
    question = "What did Russia veto in March?"
    assert condense_question(question, HISTORY) == question


def test_without_user_history_the_question_is_kept():
    assert condense_question("What about Japan?", []) == "What about Japan?"
    only_assistant = [Turn("assistant", "Hello."), Turn("user", "   ")]
    assert condense_question("What about Japan?", only_assistant) == "What about Japan?"


def test_a_models_rewrite_counts_only_when_it_is_a_question():
    assert written_question("Where is Gabriela Bernal based?\nextra") == (
        "Where is Gabriela Bernal based?"
    )
    # An answer in place of the rewrite is a guess; "" leaves the rule-based rewrite to decide.
    assert written_question("Dr Gabriela Bernal is based in North Korea.") == ""
    assert written_question("  ") == ""


def test_the_rewrite_prompt_holds_the_recent_turns_and_the_question():
    prompt = condense_prompt("What about Japan?", HISTORY)
    assert "What about Japan?" in prompt
    assert all(t.content in prompt for t in HISTORY[-6:])
