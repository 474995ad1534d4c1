"""A follow-up question + the conversation so far -> a standalone query for retrieval."""

import re
from collections.abc import Sequence

from qa.lexical import lexical_terms
from qa.prompts import load_prompt
from qa.types import Turn

# Words that point back to something said earlier.
_ANAPHORA = re.compile(
    r"\b(he|she|it|they|him|her|them|his|hers|its|their|theirs|this|that|these|those|"
    r"there|then|former|latter|same|also|else|other)\b",
    re.I,
)
_FOLLOW_UP_START = re.compile(r"^\s*(and|but|so|also|what about|how about|why|how come)\b", re.I)
MIN_STANDALONE_TERMS = 3


def is_follow_up(question: str) -> bool:
    """True when the question leans on earlier turns to be understood."""
    return bool(
        _ANAPHORA.search(question)
        or _FOLLOW_UP_START.match(question)
        or len(lexical_terms(question)) < MIN_STANDALONE_TERMS
    )


def condense_question(question: str, history: Sequence[Turn]) -> str:
    """The retrieval query: the question itself, or joined to the last user question."""
    earlier = [t.content.strip() for t in history if t.role == "user" and t.content.strip()]
    if not earlier or not is_follow_up(question):
        return question
    return f"{earlier[-1]} {question}"


def condense_prompt(question: str, history: Sequence[Turn]) -> str:
    """The request to a model to rewrite a follow-up as a standalone question."""
    lines = "\n".join(f"{t.role}: {t.content}" for t in history[-6:])
    return load_prompt("condense").format(history=lines, question=question)


def written_question(reply: str) -> str:
    """The standalone question in a model's reply, or "" when the reply is not a question.

    A small reader sometimes answers instead of rewriting ("Dr Bernal is based in North
    Korea."), a guess that would steer retrieval; "" leaves the rule-based rewrite to decide.
    """
    lines = reply.strip().splitlines()
    line = lines[0].strip() if lines else ""
    return line if line.endswith("?") else ""
