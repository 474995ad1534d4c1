"""An answer's text cut into claims: its sentences, the [n] markers each carries, the words
that only point at a marker taken out, and the premise a causal claim asserts on its own.
"""

import re

from qa.lexical import lexical_terms
from qa.locate import fold
from qa.text import split_sentences

_MARKERS = r"(?:\s*\[\d+(?:\s*,\s*\d+)*\])+"
_MARKER_AFTER_STOP = re.compile(rf"([.!?…][\"'”’)]*)({_MARKERS})")
_MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
# Words that only point at a closing marker ("as mentioned in [4].", "according to passage
# [1]."): once the marker is taken out they would dangle ("..., as mentioned in."), so they go.
_CLOSING_MARKERS = r"(?=(?:\s*\[\d[\d,\s]*\])+\s*[.!?]?[\"'”’)]*\s*$)"
_POINTS = (
    r"(?:(?:as\s+)?(?:mentioned|stated|noted|described|shown|reported|explained|seen)\s+in|"
    r"according\s+to|citing|see|per|in|from)(?:\s+(?:the\s+)?(?:passages?|documents?|sources?))?"
)
_MARKERS_HERE = r"\s*(?:\[\d[\d,\s]*\]\s*)+"
# ... at the end ("X, as mentioned in [4]."), the start ("According to [1], X.") or set off by
# commas ("X, as stated in [1], is Y."); the marker itself is read before this is removed.
_POINTER = re.compile(
    rf",?\s*\b{_POINTS}\s*{_CLOSING_MARKERS}|^\s*{_POINTS}{_MARKERS_HERE},?\s*|"
    rf",\s*{_POINTS}{_MARKERS_HERE},",
    re.IGNORECASE,
)
# "The passage states that X" and "According to both articles, X" say X.
_SOURCES = r"(?:passages?|documents?|articles?|texts?|sources?)"
_PREAMBLE = re.compile(
    rf"^(?:the\s+|both\s+)?{_SOURCES}(?:\s*\[\d+\])?\s+(?:also\s+|both\s+)?"
    r"(?:states?|mentions?|says?|notes?|indicates?|explains?|reports?)\s+that\s+|"
    rf"^according\s+to\s+(?:the\s+|both\s+|these\s+|all\s+)?(?:two\s+)?{_SOURCES},\s*",
    re.IGNORECASE,
)
# What is left of a sentence that only pointed at a passage ("This is stated in [1].").
_EMPTY_POINTER = re.compile(r"^\W*(?:(?:this|that|it)(?:\s+(?:is|was))?)?\W*$", re.IGNORECASE)
_BECAUSE = re.compile(r"^(?P<x>.+?)\s*,?\s+because\s+(?:of\s+)?(?P<y>\S.*)$", re.IGNORECASE)
_OPEN_ENDS = frozenset("that which why is are was were be been named called".split())


def split_claims(text: str) -> list[tuple[str, tuple[int, ...]]]:
    """Sentences of an answer without their [n] markers, each with the markers it carried.

    Words that only point at a marker go with it, a sentence that only points is left out, and
    a sentence written again is kept once.
    """
    text = _markers_before_stop(text)
    claims: list[tuple[str, tuple[int, ...]]] = []
    seen: set[str] = set()
    for start, end in split_sentences(text):
        sentence = text[start:end]
        markers = tuple(
            int(n) for group in _MARKER.findall(sentence) for n in re.split(r"\s*,\s*", group)
        )
        pointed = _capitalised(_POINTER.sub("", sentence))
        if preamble := _PREAMBLE.match(pointed):
            pointed = _capitalised(pointed[preamble.end() :])
        bare = re.sub(r"\s+([.!?,;:])", r"\1", _MARKER.sub("", pointed))
        bare = re.sub(r"[,;:]+([.!?])", r"\1", bare)  # "relations, [1]." leaves "relations,."
        bare = re.sub(r"\s{2,}", " ", bare).strip()
        if pointed != sentence and _EMPTY_POINTER.match(bare):
            continue  # the sentence only said where the previous one came from
        if bare and fold(bare) not in seen:  # a repeated sentence (a looping model) once
            seen.add(fold(bare))
            claims.append((bare, tuple(dict.fromkeys(markers))))
    return claims


def written_twice(text: str) -> bool:
    """A finished sentence of `text` repeats an earlier one: the model has begun to loop."""
    text = _markers_before_stop(text)
    finished = [fold(_MARKER.sub("", text[a:b])) for a, b in split_sentences(text)][:-1]
    finished = [f for f in finished if f]
    return len(finished) != len(set(finished))


def _markers_before_stop(text: str) -> str:
    """ "... sanctions. [1]" -> "... sanctions [1]." so the marker stays with its sentence."""
    return _MARKER_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", text.strip())


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def causal_premise(claim: str) -> str | None:
    """X of a claim "X because Y", when X is a clause of its own (3 content words or more,
    not ending on "that" or a verb waiting for its object), else None."""
    match = _BECAUSE.match(claim)
    if match is None or len(set(lexical_terms(match["x"]))) < 3:
        return None
    if match["x"].split()[-1].casefold() in _OPEN_ENDS:
        return None
    return match["x"].rstrip(" ,") + "."
