"""The reader's prompt holds the best sentences across its passages, within a budget."""

import re

from qa.compose import score_sentences
from qa.llm.chat import passage_blocks
from qa.settings import LLMSettings

QUESTION = "What has North Korea been sending into South Korean airspace?"


def context_of(pipeline, question: str):
    context, _, _ = pipeline._prepare(question, None, None, [])
    return context


def shown_sentences(blocks: str) -> dict[int, str]:
    bodies = re.findall(r'<passage number="(\d+)">\n(.*?)\n</passage>', blocks, re.S)
    return {int(n): body for n, body in bodies}


def test_the_budget_keeps_the_best_sentences_of_all_passages(sample_pipeline):
    context = context_of(sample_pipeline, QUESTION)
    settings = LLMSettings(prompt_sentences=4)
    shown = shown_sentences(passage_blocks(context, settings))
    ranked = sorted(
        (c for c in score_sentences(context) if c.marker <= settings.max_passages),
        key=lambda c: c.score,
        reverse=True,
    )
    best, rest = ranked[:4], ranked[4:]
    for c in best:
        assert c.quote in shown[c.marker]
    for c in rest:
        assert c.quote not in shown.get(c.marker, ""), "only the budget's sentences are shown"
    assert "trash-carrying balloons" in " ".join(shown.values())


def test_a_passage_without_a_chosen_sentence_is_left_out_and_numbers_hold(sample_pipeline):
    context = context_of(sample_pipeline, QUESTION)
    blocks = passage_blocks(context, LLMSettings(prompt_sentences=2))
    shown = shown_sentences(blocks)
    assert 1 <= len(shown) <= 2
    numbers = [int(n) for n in re.findall(r"^\[(\d+)\] ", blocks, re.M)]
    assert numbers == sorted(shown), "each block is headed by its own passage's number"
    for number, body in shown.items():
        flat = " ".join(context.passages[number - 1].text.split())
        for piece in body.split(" … "):
            assert " ".join(piece.split()) in flat, "a number points at the passage it quotes"
    # a document's title heads the first block shown from it, whatever its number
    first = min(shown)
    assert f"[{first}] {context.passages[first - 1].title}\n" in blocks


def test_without_a_budget_each_passage_keeps_its_own_best(sample_pipeline):
    context = context_of(sample_pipeline, QUESTION)
    shown = shown_sentences(passage_blocks(context, LLMSettings(prompt_sentences=0)))
    assert sorted(shown) == list(range(1, min(5, len(context.passages)) + 1))
