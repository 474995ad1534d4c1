"""What kind of answer a question asks for, and whether a sentence can hold one.

Rules, not a model: no packaged NER model exists (pypi.tsv lists no spaCy English model).
"""

import re

from qa.lexical import lexical_terms

# Capitalised, so the modal "may" and the verb "march" are not months.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DATE = re.compile(
    rf"\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b{_MONTH}\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b|"
    r"\b\d{1,2}(?::\d{2})?\s*(?:a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d{2}\b|"
    r"\b(?:[Mm]onday|[Tt]uesday|[Ww]ednesday|[Tt]hursday|[Ff]riday|[Ss]aturday|[Ss]unday|"
    r"today|yesterday|tomorrow|centur(?:y|ies)|decades?|ago|"
    r"(?:last|next|this|that|same|previous|following|early|late) (?:year|month|week|day)|"
    r"spring|summer|autumn|winter|dawn|noon|midnight|o'clock|BC|AD|BCE|CE)\b"
)
_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety "
    "hundred hundreds thousand thousands million millions billion billions trillion dozen dozens "
    "half quarter single double twice several few many"
).split()
_QUANTITY = re.compile(rf"\d|\b(?:{'|'.join(_NUMBER_WORDS)})\b|%|\bper ?cent\b", re.IGNORECASE)
# A capitalised word that is not the sentence's first word: a name of a person, body or place.
_NAME = re.compile(r"(?<=[\s(\"'“‘-])[A-Z][\w'’.-]*[A-Za-z]")
_PLACE = re.compile(
    r"\b(?:in|at|near|from|to|into|across|throughout|between|north|south|east|west|inside|"
    r"outside|where|located|city|country|region|province|state|town|village|island|river|"
    r"capital)\b",
    re.IGNORECASE,
)
_PERSON = re.compile(
    r"\b(?:he|she|they|his|her|their|who|whom|people|person|man|woman|men|women|group|"
    r"government|president|minister|leader|king|queen|council|committee|team|company|army|"
    r"party|officials?|members?)\b",
    re.IGNORECASE,
)

# Openings of a yes/no question, whose fair answer may repeat its words.
_YES_NO = frozenset(
    "am is are was were do does did can could will would shall should may might must has have "
    "had".split()
)

_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"^\s*(?:when(?= (?:did|does|do|is|are|was|were|will|would|can|could|has|have|had)\b)|"
            r"what (?:year|date|time|day|month|century|decade)|"
            r"(?:in |on )?which (?:year|date|day|month|century|decade)|in what year|"
            r"how long ago)\b",
            re.IGNORECASE,
        ),
        "time",
    ),
    (
        re.compile(
            r"^\s*how (?:many|much|long|far|old|big|large|tall|high|often|fast)\b|"
            r"^\s*what (?:percentage|percent|proportion|number|amount)\b",
            re.IGNORECASE,
        ),
        "quantity",
    ),
    (
        re.compile(
            r"^\s*(?:where|in what (?:country|city|place|region|state)|"
            r"what (?:country|city|place|region|state)|which (?:country|city|place|"
            r"region|state))\b",
            re.IGNORECASE,
        ),
        "place",
    ),
    (re.compile(r"^\s*(?:who|whom|whose)\b", re.IGNORECASE), "agent"),
]


def expected_type(question: str) -> str | None:
    """ "time", "quantity", "place", "agent" (a person or a body), or None for any answer."""
    for pattern, kind in _RULES:
        if pattern.search(question):
            return kind
    return None


def has_type(sentence: str, kind: str | None) -> bool:
    """True when `sentence` contains something of the kind a question expects."""
    if kind is None:
        return True
    if kind == "time":
        return bool(_DATE.search(sentence))
    if kind == "quantity":
        return bool(_QUANTITY.search(sentence))
    if kind == "place":
        return bool(_NAME.search(sentence)) and bool(_PLACE.search(sentence))
    return bool(_NAME.search(sentence)) or bool(_PERSON.search(sentence))


def echoes_question(claim: str, question: str, asked: str) -> bool:
    """The claim adds no word to a question that asks for something: it answers nothing
    ("The release date for Animal Crossing is. [1]"). A yes/no question is exempt, since its
    fair answer may repeat it. `asked` holds the question's words (and its rewrite's)."""
    words = question.split()
    if not words or words[0].casefold() in _YES_NO:
        return False
    own = set(lexical_terms(claim))
    return bool(own) and own <= set(lexical_terms(asked))
