"""The sample-corpus eval set: its shape, and every reference quote verbatim in its document."""

from collections import Counter

import pytest

from eval.grounding.run import SAMPLE_SET, load_set
from eval.grounding.summary import KINDS
from index.ingest import SAMPLE_CORPUS
from index.normalize import normalize_text

ITEMS = load_set(SAMPLE_SET)
DOCUMENTS = {
    p.name: normalize_text(p.read_text(encoding="utf-8")) for p in SAMPLE_CORPUS.glob("*.txt")
}


def test_the_set_covers_every_kind_with_enough_unanswerable_questions():
    kinds = Counter(item["kind"] for item in ITEMS)
    assert len(ITEMS) >= 60
    assert set(kinds) == set(KINDS)
    assert kinds["unanswerable"] >= 15
    assert len({item["user_input"] for item in ITEMS}) == len(ITEMS)


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item["user_input"][:50])
def test_reference_quotes_are_exact_substrings_of_their_documents(item):
    assert set(item["sources"]) <= set(DOCUMENTS), "sources name files of the sample corpus"
    for quote in item["reference_contexts"]:
        assert quote == quote.strip() and quote
        assert any(quote in DOCUMENTS[source] for source in item["sources"]), quote


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item["user_input"][:50])
def test_each_record_is_consistent_with_its_kind(item):
    answerable = item["kind"] != "unanswerable"
    assert bool(item["reference_contexts"]) == answerable
    assert bool(item["sources"]) == answerable
    assert bool(item["history"]) == (item["kind"] == "follow_up")
    assert item["reference"]
    for turn in item["history"]:
        assert turn["role"] in ("user", "assistant") and turn["content"]
    if item["kind"] == "both_documents":
        assert len(item["sources"]) == 2
