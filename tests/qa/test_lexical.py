"""qa.lexical: terms and a BM25 index that can grow and shrink."""

import re

from snowballstemmer.english_stemmer import EnglishStemmer

from index.ingest import SAMPLE_CORPUS
from qa import lexical
from qa.lexical import BM25Index, lexical_terms


def test_lexical_terms_drop_stopwords_and_stem():
    terms = lexical_terms("The treaties were signed in Pyongyang!")
    assert terms == ["treati", "sign", "pyongyang"]
    assert lexical_terms("Signing, SIGNED, signs") == ["sign", "sign", "sign"]
    assert lexical_terms("the of and to") == []


def build(docs: dict[str, str]) -> BM25Index:
    index = BM25Index()
    for chunk_id, text in docs.items():
        index.add(chunk_id, lexical_terms(text))
    return index


DOCS = {
    "missiles": "North Korea launched missiles. Missiles and more missiles over the sea.",
    "treaty": "The treaty promises mutual assistance if one party faces aggression.",
    "food": "Russia sends food, fuel and technology in exchange for shells.",
    "both": "A treaty about missiles.",
}


def test_search_ranks_by_term_frequency_and_rarity():
    index = build(DOCS)
    ranked = index.search(lexical_terms("missiles"), limit=10)
    assert [c for c, _ in ranked] == ["missiles", "both"]
    assert ranked[0][1] > ranked[1][1] > 0
    # A rare term outweighs a common one: "fuel" is only in one chunk.
    assert index.search(lexical_terms("fuel treaty"), limit=1)[0][0] == "food"
    assert index.search(lexical_terms("zebra"), limit=5) == []


def test_search_respects_limit_and_allowed():
    index = build(DOCS)
    assert len(index.search(lexical_terms("treaty missiles"), limit=1)) == 1
    allowed = index.search(lexical_terms("missiles"), limit=10, allowed={"both", "food"})
    assert [c for c, _ in allowed] == ["both"]


def test_remove_forgets_a_chunk_and_updates_statistics():
    index = build(DOCS)
    before = index.idf("treati")
    index.remove("treaty")
    assert len(index) == 3
    assert "treaty" not in [c for c, _ in index.search(lexical_terms("treaty"), 10)]
    assert index.idf("treati") > before  # now rarer
    index.remove("both")
    assert index.search(lexical_terms("treaty"), 10) == []
    assert index.idf("treati") == 0.0
    index.remove("never-added")  # ignored
    assert len(index) == 2


def test_add_replaces_an_entry_with_the_same_id():
    index = build(DOCS)
    index.add("food", lexical_terms("Nothing about provisions any more; only zebras."))
    assert len(index) == 4
    assert index.search(lexical_terms("fuel"), 10) == []
    assert index.search(lexical_terms("zebras"), 10)[0][0] == "food"


def test_empty_index_finds_nothing():
    index = BM25Index()
    assert index.search(["anything"], 5) == []
    assert index.idf("anything") == 0.0


def test_removing_everything_returns_to_empty():
    index = build(DOCS)
    for chunk_id in DOCS:
        index.remove(chunk_id)
    assert len(index) == 0
    assert index.search(lexical_terms("missiles treaty food"), 5) == []
    index.add("again", ["missil"])
    assert index.search(["missil"], 5)[0][0] == "again"
    assert len(index) == 1


def test_the_c_stemmer_in_use_stems_as_the_pure_python_snowball_does():
    # A catalog's terms were stemmed by whichever was installed when it was written.
    words = sorted(
        {w for path in SAMPLE_CORPUS.glob("*.txt") for w in re.findall(r"\w+", path.read_text())}
        | {"running", "generously", "nationalization", "Ärzte", "naïve", "1990s", "go_to"}
    )
    assert type(lexical._stemmer).__module__ == "Stemmer"  # PyStemmer, a dependency
    python = EnglishStemmer()
    lowered = [w.lower() for w in words]
    assert [lexical._stemmer.stemWord(w) for w in lowered] == [python.stemWord(w) for w in lowered]
