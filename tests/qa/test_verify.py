"""Citation verification on hand-made answers, against real passages of the sample corpus."""

import pytest

from qa.claims import split_claims, written_twice
from qa.compose import AnswerContext
from qa.verify import verify_answer

THRESHOLD = 0.55
QUESTION = "What did Russia veto in March?"
VETO = "In March, Russia vetoed the extension of a UN panel"


@pytest.fixture(scope="module")
def context(sample_pipeline):
    answer = sample_pipeline.ask(QUESTION)
    embedder = sample_pipeline.embedder
    return AnswerContext(
        QUESTION,
        QUESTION,
        embedder.encode([QUESTION])[0],
        answer.passages,
        sample_pipeline.catalog.view(),
        embedder.encode,
    )


def marker_of(context, needle: str) -> int:
    """The 1-based number of the passage that contains `needle`."""
    return next(n for n, p in enumerate(context.passages, start=1) if needle in p.text)


def other_marker(context, needle: str) -> int:
    return next(n for n, p in enumerate(context.passages, start=1) if needle not in p.text)


def test_split_claims_keeps_markers_with_their_sentence():
    claims = split_claims("Russia vetoed the panel. [1] It did so in March [2][3]. No marker here!")
    assert claims == [
        ("Russia vetoed the panel.", (1,)),
        ("It did so in March.", (2, 3)),
        ("No marker here!", ()),
    ]


def test_split_claims_reads_comma_lists_and_drops_duplicate_markers():
    assert split_claims("A claim stands here [1, 3] [1].") == [("A claim stands here.", (1, 3))]


def test_words_pointing_at_a_closing_marker_leave_with_it():
    # Answers the reader wrote on held-out SQuAD and RGB questions: the marker came out and
    # "according to passage." / "as mentioned in." were left dangling.
    assert split_claims("Putin visited Pyongyang on June 19, according to passage. [1]") == [
        ("Putin visited Pyongyang on June 19.", (1,))
    ]
    assert split_claims("The CEO of Lego in 2021 is Anne Smith, as mentioned in [4].") == [
        ("The CEO of Lego in 2021 is Anne Smith.", (4,))
    ]
    assert split_claims("According to [1], North Korea sent balloons south.") == [
        ("North Korea sent balloons south.", (1,))
    ]
    assert split_claims("The top level, as stated in [1], is a strategic partnership.") == [
        ("The top level is a strategic partnership.", (1,))
    ]
    assert split_claims("The press called it a defence pact, citing [2].") == [
        ("The press called it a defence pact.", (2,))
    ]
    # A preposition before a marker in mid-sentence is part of the sentence.
    assert split_claims("The talks were held in [2] Moscow.") == [
        ("The talks were held in Moscow.", (2,))
    ]
    assert split_claims("It is found in passages 1 and 2.") == [
        ("It is found in passages 1 and 2.", ())
    ]


def test_a_sentence_that_only_points_or_repeats_is_no_claim():
    claims = split_claims(
        "A party needs five seats. [1] This is stated in. [1] "
        "The passage states that the Presiding Officer chairs it [2]. "
        "The Presiding Officer chairs it. [2]"
    )
    assert split_claims("The highest level of relations, [1].") == [
        ("The highest level of relations.", (1,))
    ]
    assert split_claims("According to both articles, the pact binds both sides [4].") == [
        ("The pact binds both sides.", (4,))
    ]
    assert claims == [
        ("A party needs five seats.", (1,)),
        ("The Presiding Officer chairs it.", (2,)),
    ]


def test_a_loop_is_seen_once_a_sentence_is_finished_again():
    loop = "Kim sent balloons south. [1] This explains why Kim is provocative. [1] "
    assert not written_twice(loop + "This")
    assert written_twice(loop + "This explains why Kim is provocative. [1] This")
    assert not written_twice("Kim sent balloons. [1] Putin sent none. [2] Kim")


def test_paraphrase_citing_the_right_passage_is_supported(context):
    n = marker_of(context, VETO)
    [verdict] = verify_answer(
        context,
        f"Russia used its veto in March against extending the UN sanctions panel [{n}].",
        THRESHOLD,
    )
    assert verdict.claim.supported
    assert verdict.claim.markers == (n,)
    [citation] = verdict.citations
    assert citation.quote.startswith(VETO)
    doc = context.view.documents[citation.doc_id]
    assert doc.text[citation.start : citation.end] == citation.quote
    assert citation.quote in context.passages[n - 1].text


def test_invented_claim_is_unsupported_even_with_a_marker(context):
    n = marker_of(context, VETO)
    [verdict] = verify_answer(
        context, f"Russia vetoed a UN resolution on climate finance in 1995 [{n}].", THRESHOLD
    )
    assert not verdict.claim.supported
    assert verdict.citations == ()
    assert verdict.claim.markers == ()


def test_claim_citing_the_wrong_passage_is_recited_to_the_right_one(context):
    right, wrong = marker_of(context, VETO), other_marker(context, VETO)
    [verdict] = verify_answer(
        context,
        f"In March, Russia vetoed extending the UN panel on sanctions [{wrong}].",
        THRESHOLD,
    )
    assert verdict.claim.supported
    assert verdict.claim.markers == (right,)
    assert verdict.citations[0].marker == right


def test_claim_without_marker_gets_the_passage_that_supports_it(context):
    [verdict] = verify_answer(
        context, "Russia vetoed the extension of the UN panel monitoring sanctions.", THRESHOLD
    )
    assert verdict.claim.supported
    assert verdict.claim.markers == (marker_of(context, VETO),)


def test_marker_pointing_to_no_passage_is_removed(context):
    n = marker_of(context, VETO)
    [verdict] = verify_answer(
        context, f"In March, Russia vetoed the extension of a UN panel [{n}] [9].", THRESHOLD
    )
    assert verdict.removed_markers == (9,)
    assert 9 not in verdict.claim.markers
    assert verdict.claim.supported


def test_a_claim_too_short_to_check_is_unsupported(context):
    # An echoed token ("PWNED") shares its one word with a passage yet says nothing checkable.
    n = marker_of(context, VETO)
    [verdict] = verify_answer(context, f"Vetoed [{n}].", THRESHOLD)
    assert not verdict.claim.supported
    assert verdict.citations == ()


def test_a_one_word_reply_is_checked_as_the_answer_to_the_question(context):
    # "The extension." says nothing alone; as the answer to "What did Russia veto in March?"
    # it is stated by the veto sentence (a short reply used to be dropped as uncheckable).
    n = marker_of(context, VETO)
    [verdict] = verify_answer(context, f"The extension [{n}].", THRESHOLD)
    assert verdict.claim.supported, verdict
    assert verdict.claim.text == "The extension."
    assert VETO in verdict.citations[0].quote


def test_a_one_word_reply_the_passages_lack_is_unsupported(context):
    # The question's words match the veto sentence, but the reply's own word is nowhere in it.
    n = marker_of(context, VETO)
    [verdict] = verify_answer(context, f"PWNED [{n}].", THRESHOLD)
    assert not verdict.claim.supported
    asked: list[list[str]] = []

    def judge(claims, evidence):
        asked.append(list(claims))
        return [0.9 for _ in claims]

    [judged] = verify_answer(context, f"Extension [{n}].", THRESHOLD, judge)
    assert judged.claim.supported
    assert asked == [['The answer to "What did Russia veto in March?" is: Extension.']]


def test_a_claim_copied_from_a_passage_sentence_needs_no_judge(context):
    """A whole passage sentence, copied word for word (case, quotes and punctuation aside), is that
    sentence's own statement; only the other claims go to the judge."""
    n = marker_of(context, VETO)
    passage = context.passages[n - 1]
    entry = context.view.chunks[passage.chunk_id]
    text = context.view.documents[passage.doc_id].text
    sentence = next(text[a:b] for a, b in entry.sentences if text[a:b].startswith(VETO))
    paraphrase = "Moscow blocked the renewal of the sanctions monitors in March."
    asked: list[list[str]] = []

    def refusing_judge(claims, evidence):
        asked.append(list(claims))
        return [0.0 for _ in claims]

    answer = f"{sentence.upper()} [{n}] {paraphrase} [{n}]"
    copied, reworded = verify_answer(context, answer, THRESHOLD, refusing_judge)
    assert copied.claim.supported and copied.claim.support == 1.0
    assert copied.citations[0].quote == sentence
    assert not reworded.claim.supported
    assert asked == [[paraphrase]]


def test_a_name_or_number_the_evidence_lacks_fails_whatever_the_judge_says(context):
    """The reader as judge passed "Kim travelled to Moscow" against a sentence about Pyongyang
    (P 0.58); names and numbers are now checked against the evidence too."""
    n = marker_of(context, VETO)

    def judge(claims, evidence):
        return [0.9 for _ in claims]

    stated = f"Russia vetoed the extension of a UN panel in March [{n}]."
    wrong_place = f"Russia vetoed the extension of a UN panel in Geneva [{n}]."
    wrong_year = f"Russia vetoed the extension of a UN panel in March 2019 [{n}]."
    kept, place, year = verify_answer(
        context, f"{stated} {wrong_place} {wrong_year}", THRESHOLD, judge, check_names=True
    )
    assert kept.claim.supported and kept.citations
    for verdict in (place, year):
        assert not verdict.claim.supported and not verdict.citations, verdict
    # Off, the judge alone decides; the score path checks names too.
    assert all(v.claim.supported for v in verify_answer(context, wrong_place, THRESHOLD, judge))
    [scored] = verify_answer(context, wrong_place, THRESHOLD, check_names=True)
    assert not scored.claim.supported
