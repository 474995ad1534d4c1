"""POST /ask and POST /ask/stream: a cited answer, whole or as Server-Sent Events."""

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from qa.errors import QAError
from qa.pipeline import Pipeline
from qa.types import Answer
from service.deps import PipelineDep, StateDep
from service.schemas import AskRequest, AskResponse, CitationOut, PassageOut, error_responses
from service.state import ServiceState

log = logging.getLogger("service")
router = APIRouter(tags=["ask"])

_STREAM_DOC = """Server-Sent Events, in this order:

- `passages`: `{"query", "passages": [...]}`, the standalone query and the passages retrieved
- `delta` (one or more): `{"text"}`, the answer text as it is produced; joined they make the
  whole answer text
- `citations`: `{"citations": [...]}`
- `done`: `{"question", "abstained", "support", "backend", "query", "timings_ms"}`

A failure after the stream has begun ends it with an `error` event,
`{"error": {"code", "message"}}`; bad input is refused before it begins, with a JSON error.
"""


def _ask(pipeline: Pipeline, state: ServiceState, body: AskRequest) -> Answer:
    with state.lock.reading():
        return pipeline.ask(
            body.question,
            top_k=body.top_k,
            doc_ids=body.doc_ids,
            history=[turn.to_turn() for turn in body.history],
        )


@router.post(
    "/ask",
    response_model=AskResponse,
    responses=error_responses(400, 404, 413, 422, 503),
    summary="Answer a question with citations",
)
def ask(body: AskRequest, pipeline: PipelineDep, state: StateDep) -> AskResponse:
    """The whole answer object: text with [n] markers, citations, passages, timings."""
    return AskResponse.of(_ask(pipeline, state, body))


def _check(pipeline: Pipeline, body: AskRequest) -> None:
    """Refuse bad input while an HTTP status can still say so."""
    pipeline.check_question(body.question)
    for doc_id in body.doc_ids or ():
        pipeline.document(doc_id)


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The answer as Server-Sent Events",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        **error_responses(400, 404, 413, 422, 503),
    },
    summary="Answer a question, streamed as Server-Sent Events",
    description=_STREAM_DOC,
)
async def ask_stream(body: AskRequest, pipeline: PipelineDep, state: StateDep) -> StreamingResponse:
    await run_in_threadpool(_check, pipeline, body)
    return StreamingResponse(
        _events(pipeline, state, body),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _events(pipeline: Pipeline, state: ServiceState, body: AskRequest) -> AsyncIterator[str]:
    try:
        answer = await run_in_threadpool(_ask, pipeline, state, body)
    except QAError as exc:
        yield sse("error", {"error": {"code": exc.code, "message": exc.message}})
        return
    except Exception:
        log.exception("POST /ask/stream failed")
        message = "internal error; the server log has details"
        yield sse("error", {"error": {"code": "internal_error", "message": message}})
        return
    passages = [PassageOut.of(p).model_dump() for p in answer.passages]
    yield sse("passages", {"query": answer.query, "passages": passages})
    for piece in split_pieces(answer.text):
        yield sse("delta", {"text": piece})
    citations = [CitationOut.of(c).model_dump() for c in answer.citations]
    yield sse("citations", {"citations": citations})
    yield sse(
        "done",
        {
            "question": answer.question,
            "abstained": answer.abstained,
            "support": answer.support,
            "backend": answer.backend,
            "query": answer.query,
            "timings_ms": answer.timings_ms,
        },
    )


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; JSON keeps the data on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


_AFTER_MARKER = re.compile(r"\[\d+\]\s+")
_AFTER_SENTENCE = re.compile(r"[.!?…]\s+")


def split_pieces(text: str) -> list[str]:
    """The answer in the order it reads: one cited sentence (or plain sentence) per piece.

    Joined, the pieces are exactly `text`.
    """
    boundary = _AFTER_MARKER if _AFTER_MARKER.search(text + " ") else _AFTER_SENTENCE
    pieces, begin = [], 0
    for match in boundary.finditer(text):
        pieces.append(text[begin : match.end()])
        begin = match.end()
    if begin < len(text):
        pieces.append(text[begin:])
    return pieces
