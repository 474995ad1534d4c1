"""Sentence spans in plain text; shared by chunking, answering and citation checks."""

import itertools
import re

from qa.types import Span

# Words that end with a full stop without ending a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc inc ltd co corp gen col lt sgt capt rev fig approx e.g "
    "i.e u.s u.k u.n a.m p.m jan feb mar apr jun jul aug sep sept oct nov dec mt ft dept est "
    "op vol ch pp".split()
)
# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_OPENER = re.compile(r"\s+[\"'“‘(\[]*[A-Z0-9]")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the full stop at `dot` closes an abbreviation or an initial."""
    start = dot
    while start > 0 and (text[start - 1].isalpha() or text[start - 1] == "."):
        start -= 1
    word = text[start:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def split_sentences(text: str, offset: int = 0) -> list[Span]:
    """Spans of the sentences in `text`, shifted by `offset`, trimmed of whitespace.

    Line breaks always end a sentence (headings, captions and list items have no full stop).
    """
    spans: list[Span] = []
    for line in re.finditer(r"[^\n]+", text):
        cuts = [line.start()]
        segment = line.group()
        for match in _BOUNDARY.finditer(segment):
            end = match.end()
            if not _OPENER.match(segment, end):
                continue
            if segment[match.start()] == "." and _is_abbreviation(segment, match.start()):
                continue
            cuts.append(line.start() + end)
        cuts.append(line.end())
        for a, b in itertools.pairwise(cuts):
            piece = text[a:b]
            stripped = piece.strip()
            if stripped:
                lead = len(piece) - len(piece.lstrip())
                spans.append((offset + a + lead, offset + a + lead + len(stripped)))
    return spans
