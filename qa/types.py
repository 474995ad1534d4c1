"""The product's vocabulary: plain frozen dataclasses, free of LangChain and Chroma types."""

from dataclasses import asdict, dataclass, field
from typing import Any

Span = tuple[int, int]


@dataclass(frozen=True)
class Document:
    """One source document as normalised text, with what a citation shows about it."""

    doc_id: str
    title: str
    source: str
    text: str
    author: str = ""
    sha256: str = ""


@dataclass(frozen=True)
class Chunk:
    """A slice of a document: `document.text[start:end] == text`.

    `sentences` are spans into the document text, each inside [start, end].
    """

    chunk_id: str
    doc_id: str
    position: int
    start: int
    end: int
    text: str
    sentences: tuple[Span, ...]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its rank and scores."""

    rank: int
    chunk_id: str
    doc_id: str
    title: str
    source: str
    start: int
    end: int
    text: str
    score: float
    dense_score: float | None = None
    lexical_score: float | None = None


@dataclass(frozen=True)
class Citation:
    """A claim's support: passage `marker` (1-based), quoting document text[start:end]."""

    marker: int
    doc_id: str
    title: str
    source: str
    chunk_id: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Claim:
    """One sentence of a written answer and whether the passages it cites bear it out."""

    text: str
    markers: tuple[int, ...]
    supported: bool
    support: float


@dataclass(frozen=True)
class Answer:
    """A cited answer, or an abstention that still shows the closest passages."""

    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    passages: tuple[Passage, ...]
    backend: str
    query: str
    support: float
    timings_ms: dict[str, float] = field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    fallback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation: role is "user" or "assistant"."""

    role: str
    content: str
