"""BM25 over chunk terms, kept in memory and updated as documents come and go."""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
# Function words that carry no topic; stemming happens after this filter.
_STOPWORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each few for "
    "from further had has have having he her here hers herself him himself his how i if in "
    "into is it its itself just me more most my myself no nor not of off on once only or "
    "other our ours ourselves out over own same she should so some such than that the their "
    "theirs them themselves then there these they this those through to too under until up "
    "very was we were what when where which while who whom why will with would you your yours "
    "yourself yourselves s t d ll m o re ve y".split()
)
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def lexical_terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words of `text`, in order."""
    words = (w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)
    return [_stem(w) for w in words]


class BM25Index:
    """Okapi BM25 with incremental add and remove; scores are comparable within one query."""

    # k1 0.9, b 0.4 (Anserini's defaults) beat 1.2/0.75 on SQuAD dev; eval/BENCHMARKS.md.
    def __init__(self, k1: float = 0.9, b: float = 0.4) -> None:
        self.k1, self.b = k1, b
        self._postings: dict[str, dict[str, int]] = defaultdict(dict)
        self._lengths: dict[str, int] = {}
        self._terms: dict[str, tuple[str, ...]] = {}
        self._total_length = 0

    def __len__(self) -> int:
        return len(self._lengths)

    def add(self, chunk_id: str, terms: Iterable[str]) -> None:
        """Index one chunk's terms (replacing any earlier entry with the same id)."""
        self.remove(chunk_id)
        counts = Counter(terms)
        for term, tf in counts.items():
            self._postings[term][chunk_id] = tf
        self._terms[chunk_id] = tuple(counts)
        length = sum(counts.values())
        self._lengths[chunk_id] = length
        self._total_length += length

    def remove(self, chunk_id: str) -> None:
        """Forget one chunk; unknown ids are ignored."""
        if chunk_id not in self._lengths:
            return
        for term in self._terms.pop(chunk_id):
            posting = self._postings[term]
            posting.pop(chunk_id, None)
            if not posting:
                del self._postings[term]
        self._total_length -= self._lengths.pop(chunk_id)

    def search(
        self, terms: Iterable[str], limit: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The best `limit` chunk ids for the query terms, with BM25 scores, best first."""
        n = len(self._lengths)
        if n == 0:
            return []
        avg = self._total_length / n
        scores: dict[str, float] = defaultdict(float)
        for term, qtf in Counter(terms).items():
            posting = self._postings.get(term)
            if not posting:
                continue
            idf = math.log(1 + (n - len(posting) + 0.5) / (len(posting) + 0.5))
            for chunk_id, tf in posting.items():
                if allowed is not None and chunk_id not in allowed:
                    continue
                norm = tf + self.k1 * (1 - self.b + self.b * self._lengths[chunk_id] / avg)
                scores[chunk_id] += qtf * idf * tf * (self.k1 + 1) / norm
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return ranked[:limit]

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term (0 for a term no chunk has)."""
        df = len(self._postings.get(term, ()))
        if df == 0:
            return 0.0
        n = len(self._lengths)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
