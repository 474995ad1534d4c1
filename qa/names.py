"""Names and numbers an answer sentence states must stand in the evidence it is checked against.

The reader judges support by meaning and is weakest where a small model is: a wrong place, a
wrong date or a swapped party in an otherwise matching sentence ("Kim travelled to Moscow for
the June summit" against "Putin paid a visit to Pyongyang ... and held a summit with Kim"
scored P(yes) 0.58). A false premise in the question is the usual source: the reader writes
along with it. So a claim's proper names (capitalised words after its first) and numbers must
appear in the evidence, allowing for word forms ("Western" in "the West", "Russian" for
"Russia"): in the very sentences it is checked against when the question names them too, and
anywhere in the passages otherwise.
"""

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*")
_NUMBER = re.compile(r"\d")
# An abbreviation written with dots, "U.S." or "U. S.": read as one word, "US".
_DOTTED = re.compile(r"\b(?:[A-Z]\.\s?){2,}")
# Shortest shared start for two word forms to count as one name ("west"/"western").
MIN_STEM = 4


def _undotted(text: str) -> str:
    def join(match: re.Match[str]) -> str:
        letters = match.group(0).replace(".", "").replace(" ", "")
        return letters + (" " if match.group(0).endswith(" ") else "")

    return _DOTTED.sub(join, text)


def _bare(word: str) -> str:
    """The word without a possessive ending, lower-cased."""
    return re.sub(r"[’']s$", "", word).lower()


def stated_names(claim: str) -> list[str]:
    """The claim's proper names and numbers, lower-cased; its first word is left out (it is
    capitalised because it starts the sentence)."""
    words = _WORD.findall(_undotted(claim))
    return [_bare(w) for w in words[1:] if _NUMBER.search(w) or (len(w) > 1 and w[0].isupper())]


def _same_name(name: str, word: str) -> bool:
    if name == word:
        return True
    if _NUMBER.search(name) or min(len(name), len(word)) < MIN_STEM:
        return False
    return name.startswith(word) or word.startswith(name)


def missing_names(
    claim: str, evidence: Iterable[str], question: str = "", passages: Iterable[str] = ()
) -> list[str]:
    """The names and numbers of `claim` that its evidence does not bear.

    A name the question also uses must stand in `evidence` itself (the sentences the claim is
    checked against): that is how a false premise is echoed. Any other name may come from
    anywhere in `passages` too, since a sentence often names what its neighbours do ("his
    regime" -> "North Korea").
    """
    strict = _words([*evidence])
    lenient = strict | _words(passages)
    asked = _words([question])
    out = []
    for name in stated_names(claim):
        pool = strict if any(_same_name(name, w) for w in asked) else lenient
        if not any(_same_name(name, w) for w in pool):
            out.append(name)
    return out


def _words(texts: Iterable[str]) -> set[str]:
    return {_bare(w) for text in texts for w in _WORD.findall(_undotted(text))}
