"""HTTP request and response models, kept apart from the core's types."""

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from qa.errors import InvalidQuestion
from qa.types import Answer, Citation, Claim, Document, Passage, Turn


def _encodable(text: str) -> str:
    """Refuse text that is not valid Unicode (JSON can carry lone surrogates; models can't)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode text at position {exc.start}") from None
    return text


Text = Annotated[str, AfterValidator(_encodable)]

# Every route that takes a conversation holds its turns to the same sizes.
MAX_TURN_CHARS = 20_000
MAX_HISTORY_TURNS = 50
TurnText = Annotated[Text, Field(max_length=MAX_TURN_CHARS)]

# A question must have something besides white space; Python's `\S`, which is also how the
# schema's `pattern` is read by Python tools. Its maxLength is the configured
# QA_ANSWER__MAX_QUESTION_CHARS, written into the OpenAPI schema by service.openapi.
QUESTION_PATTERN = r"\S"
Question = Annotated[
    Text,
    Field(
        description="The question: some text besides white space, at most "
        "QA_ANSWER__MAX_QUESTION_CHARS characters as sent; otherwise 400 invalid_question",
        json_schema_extra={"minLength": 1, "pattern": QUESTION_PATTERN},
    ),
]


def check_question(question: str, max_chars: int) -> None:
    """Refuse a question the schema's minLength, pattern or maxLength rules out (400).

    Done here rather than by the model so that every route answers these alike, with the
    core's InvalidQuestion, and so the limit can come from the settings.
    """
    if not re.search(QUESTION_PATTERN, question):
        raise InvalidQuestion("the question is empty")
    if len(question) > max_chars:
        raise InvalidQuestion(
            f"the question is {len(question)} characters long; the limit is {max_chars}"
        )


# The ids index.split.document_id makes: a lowercase slug, a dash and six hex digits.
DOC_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"
DocId = Annotated[str, StringConstraints(pattern=DOC_ID_PATTERN, max_length=80)]


class TurnIn(BaseModel):
    """One earlier message of the conversation, oldest first."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: TurnText

    def to_turn(self) -> Turn:
        return Turn(role=self.role, content=self.content)


class AskRequest(BaseModel):
    """A question, with the conversation so far for follow-ups."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "What does the treaty signed in Pyongyang provide for?"},
                {
                    "question": "and what does she say about China?",
                    "history": [
                        {
                            "role": "user",
                            "content": "What does Gabriela Bernal say about the mutual "
                            "assistance provision?",
                        },
                        {"role": "assistant", "content": "…"},
                    ],
                },
            ]
        },
    )

    question: Question
    history: list[TurnIn] = Field(default_factory=list, max_length=MAX_HISTORY_TURNS)
    top_k: int | None = Field(None, ge=1, le=50, description="Passages to use")
    doc_ids: list[DocId] | None = Field(
        None, max_length=100, description="Only search these documents"
    )


class CitationOut(BaseModel):
    """Answer sentence support: the document's text[start:end] is the quote."""

    marker: int
    doc_id: str
    title: str
    source: str
    chunk_id: str
    start: int
    end: int
    quote: str

    @classmethod
    def of(cls, c: Citation) -> "CitationOut":
        return cls(**vars(c))


class PassageOut(BaseModel):
    """A retrieved passage with its fused, dense and BM25 scores."""

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

    @classmethod
    def of(cls, p: Passage) -> "PassageOut":
        return cls(**vars(p))


class ClaimOut(BaseModel):
    """One sentence of a written answer and whether its cited passages bear it out."""

    text: str
    markers: list[int]
    supported: bool
    support: float

    @classmethod
    def of(cls, c: Claim) -> "ClaimOut":
        return cls(text=c.text, markers=list(c.markers), supported=c.supported, support=c.support)


class AnswerDone(BaseModel):
    """The answer without its citations and passages: the `done` event of /ask/stream."""

    question: str
    text: str = Field(description="Sentences, each ending in a [n] citation marker")
    abstained: bool
    backend: str
    query: str = Field(description="The standalone query retrieval used")
    support: float
    timings_ms: dict[str, float]
    claims: list[ClaimOut] = Field(
        default_factory=list, description="Per-sentence verification of a written answer"
    )
    fallback: str | None = Field(None, description="Why another answerer stepped in, if one did")


class AskResponse(AnswerDone):
    """A cited answer, or an abstention that still lists the closest passages."""

    citations: list[CitationOut]
    passages: list[PassageOut]

    @classmethod
    def of(cls, a: Answer) -> "AskResponse":
        return cls(
            question=a.question,
            text=a.text,
            abstained=a.abstained,
            citations=[CitationOut.of(c) for c in a.citations],
            passages=[PassageOut.of(p) for p in a.passages],
            backend=a.backend,
            query=a.query,
            support=a.support,
            timings_ms=dict(a.timings_ms),
            claims=[ClaimOut.of(c) for c in a.claims],
            fallback=a.fallback,
        )


class PassagesEvent(BaseModel):
    """The `passages` event of /ask/stream: what retrieval found, before any answer text."""

    passages: list[PassageOut]


class DeltaEvent(BaseModel):
    """A `delta` event of /ask/stream: the next piece of the answer text as it is written."""

    text: str


class CitationsEvent(BaseModel):
    """The `citations` event of /ask/stream, sent once the answer is verified."""

    citations: list[CitationOut]


class DocumentSummary(BaseModel):
    """An indexed document, as listed (built from the pipeline's document records)."""

    model_config = ConfigDict(from_attributes=True)

    doc_id: str
    title: str
    author: str
    source: str
    chunks: int


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class DocumentDetail(DocumentSummary):
    """A document's metadata and full normalised text (citation offsets point into it)."""

    sha256: str
    text: str

    @classmethod
    def of_document(cls, d: Document, chunks: int) -> "DocumentDetail":
        return cls(
            doc_id=d.doc_id,
            title=d.title,
            author=d.author,
            source=d.source,
            chunks=chunks,
            sha256=d.sha256,
            text=d.text,
        )


class UploadResult(BaseModel):
    doc_id: str
    title: str
    source: str
    status: str = Field(description='"added", "replaced" or "unchanged"')
    chunks: int


class UploadResponse(BaseModel):
    documents: list[UploadResult]


class DeleteResponse(BaseModel):
    doc_id: str
    chunks_removed: int


class Health(BaseModel):
    status: Literal["ok", "ready"]
    detail: str = ""


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI entries for the error statuses a route can answer with."""
    return {status: {"model": ErrorResponse} for status in statuses}


# The events of POST /ask/stream, in the order they come; each event's data is this JSON.
STREAM_EVENTS: dict[str, type[BaseModel]] = {
    "passages": PassagesEvent,
    "delta": DeltaEvent,
    "citations": CitationsEvent,
    "done": AnswerDone,
    "error": ErrorResponse,
}


# -- upload jobs (service/jobs.py) -------------------------------------------------------------

FileState = Literal["queued", "parsing", "embedding", "committing", "done", "failed", "skipped"]


class FileProgress(BaseModel):
    """One file of an upload job: where it is, and its outcome once it has one."""

    name: str
    size: int = Field(description="Bytes received")
    state: FileState = Field(
        description="queued, parsing, embedding, committing; then done (written), skipped "
        "(the same content was already indexed) or failed"
    )
    progress: float = Field(ge=0, le=1, description="Share of this file's chunks embedded")
    chunks_done: int
    chunks_total: int = Field(description="0 until the file is chunked")
    result: UploadResult | None = Field(None, description="Set once the file is done or skipped")
    error: ErrorDetail | None = Field(None, description="Why the file was not written")


class JobResponse(BaseModel):
    """An upload job: per-file progress, and which files are in the index."""

    job_id: str
    state: Literal["queued", "running", "done", "failed"] = Field(
        description="done: every file applied; failed: see not_applied and each file's error"
    )
    created: float = Field(description="Unix time the upload was accepted")
    finished: float | None = None
    files: list[FileProgress]
    applied: list[str] = Field(description="Files whose content the index now holds")
    not_applied: list[str] = Field(description="Files not written; sending them again is safe")
    error: ErrorDetail | None = Field(None, description="The failure that stopped the job")
