"""Finding a model's quote in the passage sentences, and the clause it sits in."""

from qa.locate import clause_span, locate_quote, quote_lines

SENTENCES = [
    "The summit took place in Pyongyang.",
    "In March, Russia vetoed the extension of a UN panel that monitored sanctions.",
    "Japan condemned the pact.",
]


def test_quote_lines_strip_marks_markers_and_quotes():
    reply = '- "the extension of a UN panel" [2]\n\n2. Japan condemned it\n'
    assert quote_lines(reply) == ["the extension of a UN panel", "Japan condemned it"]


def test_a_verbatim_quote_is_found_whatever_its_case_and_quote_marks():
    assert locate_quote("THE EXTENSION of a UN panel", SENTENCES) == 1
    assert locate_quote("“Pyongyang”", SENTENCES) == 0


def test_a_quote_most_of_whose_words_are_missing_is_not_found():
    assert locate_quote("Japan welcomed the treaty warmly", SENTENCES) is None
    assert locate_quote("", SENTENCES) is None


def test_a_long_sentence_is_cut_to_the_clause_that_holds_the_quote():
    sentence = (
        "Although Kim visited Russia and met with Putin in September 2023, it is believed that "
        "his regime has been supplying arms to Russia since 2022, a claim both countries deny "
        "and one that Western officials have repeated many times."
    )
    start, end = clause_span(sentence, "since 2022")
    clause = sentence[start:end]
    assert "since 2022" in clause and "September 2023" not in clause
    assert sentence[start:end] == clause  # offsets into the sentence


def test_a_short_sentence_is_quoted_whole():
    assert clause_span(SENTENCES[1], "UN panel") == (0, len(SENTENCES[1]))
