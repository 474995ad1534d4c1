"""The metric functions on hand-made cases whose answers are known."""

import pytest

from eval.grounding import metrics
from eval.grounding.metrics import Claim, Located


def substring_judge(claim: str, evidence: list[str]) -> bool:
    """Supported when the claim, without its full stop, appears in the evidence joined."""
    return claim.rstrip(".").lower() in " ".join(evidence).lower()


PASSAGES = ["Putin visited Pyongyang on June 19.", "Kim called it an alliance.", "Unrelated text."]


def test_markers_after_and_inside_sentences_belong_to_their_sentence():
    claims = metrics.split_claims("Putin visited Pyongyang on June 19. [1] Kim called it [2][3].")
    assert claims == [
        Claim("Putin visited Pyongyang on June 19.", (1,)),
        Claim("Kim called it.", (2, 3)),
    ]
    assert metrics.split_claims("Both [1, 2]. Then none.") == [
        Claim("Both.", (1, 2)),
        Claim("Then none.", ()),
    ]
    assert metrics.split_claims("") == []
    assert metrics.answer_text("One [1]. Two [2].") == "One. Two."


def test_retrieval_by_containment_and_by_span_overlap():
    references = [
        Located("June 19", "a.txt", 30, 37),
        Located("a sentence cut across two chunks", "a.txt", 100, 132),
        Located("never retrieved", "b.txt", 0, 15),
    ]
    passages = [
        Located("nothing relevant", "c.txt", 0, 16),
        Located("... on June 19 ...", "a.txt", 0, 60),
        Located("a sentence cut", "a.txt", 100, 114),  # 14 of 32 characters: not enough
        Located("a sentence cut across two", "a.txt", 90, 125),  # 25 of 32: found
    ]
    ranks = metrics.retrieval_ranks(references, passages)
    assert ranks == [2, 4, None]
    assert metrics.recall_at_k(ranks, 1) == 0
    assert metrics.recall_at_k(ranks, 2) == pytest.approx(1 / 3)
    assert metrics.recall_at_k(ranks, 5) == pytest.approx(2 / 3)
    assert metrics.reciprocal_rank(ranks) == 0.5
    assert metrics.reciprocal_rank([None]) == 0.0
    assert metrics.recall_at_k([], 5) is None and metrics.reciprocal_rank([]) is None


def test_spans_in_other_documents_never_overlap():
    assert metrics.span_overlap(Located("x", "a", 0, 10), Located("y", "b", 0, 10)) == 0
    assert metrics.span_overlap(Located("x"), Located("y", "a", 0, 10)) == 0


def test_citations_all_supported():
    claims = metrics.split_claims(
        "Putin visited Pyongyang on June 19. [1] Kim called it an alliance. [2]"
    )
    scores = metrics.citation_scores(claims, PASSAGES, substring_judge)
    assert (scores.precision, scores.recall, scores.supported) == (1.0, 1.0, (True, True))


def test_citation_to_the_wrong_passage_and_a_redundant_one():
    claims = [
        Claim("Putin visited Pyongyang on June 19.", (2,)),  # wrong passage: unsupported
        Claim("Kim called it an alliance.", (2, 3)),  # [3] adds nothing and supports nothing
    ]
    scores = metrics.citation_scores(claims, PASSAGES, substring_judge)
    assert scores.recall == 0.5
    assert scores.precision == pytest.approx(1 / 3)  # only [2] of the second claim is needed


def test_two_citations_each_needed_count_as_precise():
    def both(claim: str, evidence: list[str]) -> bool:
        return len(evidence) == 2

    claims = [Claim("A claim needing both passages.", (1, 2))]
    scores = metrics.citation_scores(claims, PASSAGES, both)
    assert (scores.precision, scores.recall) == (1.0, 1.0)


def test_no_citations_and_markers_naming_no_passage():
    claims = metrics.split_claims("Putin visited Pyongyang on June 19.")
    scores = metrics.citation_scores(claims, PASSAGES, substring_judge)
    assert (scores.precision, scores.recall) == (None, 0.0)
    claims = [Claim("Putin visited Pyongyang on June 19.", (9,))]
    scores = metrics.citation_scores(claims, PASSAGES, substring_judge)
    assert (scores.precision, scores.recall) == (0.0, 0.0)


def test_empty_answer_has_no_citation_scores_and_no_faithfulness():
    scores = metrics.citation_scores([], PASSAGES, substring_judge)
    assert (scores.precision, scores.recall) == (None, None)
    assert metrics.faithfulness([], PASSAGES, substring_judge) is None


def test_faithfulness_is_the_share_of_supported_sentences():
    claims = metrics.split_claims("Putin visited Pyongyang on June 19. Kim invaded Mars. [1]")
    assert metrics.faithfulness(claims, PASSAGES, substring_judge) == 0.5
    assert metrics.faithfulness(claims, [], substring_judge) == 0.0


def test_token_f1_squad_style():
    # six tokens once "the" and the full stop go; both gold tokens found: P 1/3, R 1
    assert metrics.token_f1("The treaty was signed on June 19.", ["June 19"]) == 0.5
    assert metrics.token_f1("June 19", ["in July", "June 19!"]) == 1.0
    assert metrics.token_f1("", ["June 19"]) == 0.0
    assert metrics.token_f1("anything", [""]) == 0.0


def test_key_fact_recall_matches_whole_words_and_alternatives():
    said = "Putin visited Pyongyang on June 19, 2024."
    assert metrics.key_fact_recall(said, ["June 19", "Pyongyang", "Moscow"]) == pytest.approx(2 / 3)
    assert metrics.key_fact_recall(said, [["Moscow", "Pyongyang"]]) == 1.0
    assert metrics.key_fact_recall(said, ["June 1"]) == 0.0  # not "June 19"
    assert metrics.key_fact_recall("", ["June 19"]) == 0.0
    assert metrics.key_fact_recall(said, []) is None


def test_abstention_on_answerable_questions_lowers_precision():
    should = [True, True, False, False, False]
    did = [True, False, True, False, False]
    scores = metrics.abstention_scores(should, did)
    assert scores["precision"] == 0.5
    assert scores["recall"] == 0.5
    assert scores["f1"] == 0.5
    assert scores["false_abstention_rate"] == pytest.approx(1 / 3)
    never = metrics.abstention_scores([True, False], [False, False])
    assert (never["precision"], never["recall"], never["f1"]) == (None, 0.0, None)


def test_latency_percentiles_per_stage():
    timings = [{"embed_ms": float(v), "total_ms": 2.0 * v} for v in range(1, 101)]
    timings.append({"embed_ms": 50.0})  # a row without a stage does not count for it
    stats = metrics.latency_by_stage(timings)
    assert stats["total_ms"]["p50"] == pytest.approx(101.0)
    assert stats["total_ms"]["p95"] == pytest.approx(190.1)
    assert stats["embed_ms"]["p50"] == 50.0
    assert metrics.percentile([], 50) is None
    assert metrics.mean([None, 1.0, 0.0]) == 0.5 and metrics.mean([None]) is None
