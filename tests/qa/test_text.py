"""qa.text.split_sentences: spans that cut at sentence ends and nowhere else."""

import itertools

import pytest

from qa.text import split_sentences


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One thing. Another thing! A third?", ["One thing.", "Another thing!", "A third?"]),
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("J. R. R. Tolkien wrote. They sold.", ["J. R. R. Tolkien wrote.", "They sold."]),
        ("U.S. forces left. Then the U.N. met.", ["U.S. forces left.", "Then the U.N. met."]),
        ("It cost 3.5 million dollars. Really.", ["It cost 3.5 million dollars.", "Really."]),
        ("It was e.g. a test. Next one.", ["It was e.g. a test.", "Next one."]),
        ('He said "stop." Then silence.', ['He said "stop."', "Then silence."]),
        ("Wait... What happened (really). So.", ["Wait...", "What happened (really).", "So."]),
        ("Heading\nBody text here. More.", ["Heading", "Body text here.", "More."]),
        ("a lower case start. continues here.", ["a lower case start. continues here."]),
        ("In 2022, it grew. 2023 was worse.", ["In 2022, it grew.", "2023 was worse."]),
    ],
)
def test_split_sentences_cuts_at_sentence_ends(text, expected):
    assert sentences(text) == expected


def test_spans_are_trimmed_and_shifted_by_offset():
    text = "  Lead space here.   Tail end  \n\n  Next line. "
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["Lead space here.", "Tail end", "Next line."]
    assert split_sentences(text, offset=100) == [(a + 100, b + 100) for a, b in spans]


def test_spans_are_ordered_and_disjoint():
    text = "First. Second one here.\nThird? Fourth!\n\nFifth, with a clause; and more."
    spans = split_sentences(text)
    assert all(a < b for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in itertools.pairwise(spans))


@pytest.mark.parametrize("text", ["", "   ", "\n\n\n"])
def test_no_sentences_in_blank_text(text):
    assert split_sentences(text) == []
