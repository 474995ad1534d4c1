"""Find words a model quoted in the passage sentences, and the clause of a sentence they sit in.

Pure functions over text and spans: whatever the model wrote, what the answer quotes is
always `document.text[start:end]`.
"""

import re
from collections.abc import Sequence

_WORD = re.compile(r"\w+", re.UNICODE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
# A quote locates in a sentence when this share of its words are there, in any order.
MIN_WORD_SHARE = 0.75
# Sentences longer than this many words are cut to the clause that holds the quote.
LONG_SENTENCE_WORDS = 28
MIN_CLAUSE_WORDS = 6
_CLAUSE_BREAK = re.compile(r"[;:]\s|,\s|\s[-–—]\s|\(|\)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.translate(_QUOTES).lower())


def fold(text: str) -> str:
    """The words of `text`, lower-cased, quotes and dashes unified, punctuation dropped."""
    return " ".join(_words(text))


def quote_lines(reply: str) -> list[str]:
    """The quotes of a reply: one a line, stripped of list marks, quotes and markers."""
    out = []
    for line in reply.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)]|\[\d+\])\s*", "", line)
        line = re.sub(r"\[\d+\]", "", line).strip().strip("\"'“”‘’").strip()
        if line and _words(line):
            out.append(line)
    return out


def locate_quote(quote: str, sentences: Sequence[str]) -> int | None:
    """Index of the sentence that holds the quote: verbatim (case- and quote-blind) first,
    else the one holding the largest share of its words, if at least MIN_WORD_SHARE."""
    folded = fold(quote)
    if not folded:
        return None
    for i, sentence in enumerate(sentences):
        if folded in fold(sentence):
            return i
    wanted = set(folded.split())
    best, best_share = None, 0.0
    for i, sentence in enumerate(sentences):
        share = len(wanted & set(_words(sentence))) / len(wanted)
        if share > best_share:
            best, best_share = i, share
    return best if best_share >= MIN_WORD_SHARE else None


def clause_span(sentence: str, quote: str) -> tuple[int, int]:
    """The part of a long sentence that holds the quote, as offsets into the sentence.

    Short sentences, and quotes that cannot be placed exactly, keep the whole sentence.
    """
    whole = (0, len(sentence))
    if len(_words(sentence)) <= LONG_SENTENCE_WORDS:
        return whole
    at = sentence.translate(_QUOTES).lower().find(quote.translate(_QUOTES).lower().strip(" ."))
    if at < 0:
        return whole
    end_of_quote = at + len(quote.strip(" ."))
    cuts = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    start = max(c for c in cuts if c <= at)
    end = min(c for c in cuts if c >= end_of_quote)
    if start > 0:
        start += len(_CLAUSE_BREAK.match(sentence, start).group(0))  # type: ignore[union-attr]
    piece = sentence[start:end].strip()
    if len(_words(piece)) < MIN_CLAUSE_WORDS:
        return whole
    start = sentence.index(piece, start)
    return start, start + len(piece)
