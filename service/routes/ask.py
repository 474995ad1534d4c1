"""POST /ask and POST /ask/stream: a cited answer, whole or as Server-Sent Events."""

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Generator
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from qa.errors import QAError
from qa.pipeline import Pipeline, StreamEvent
from qa.types import Answer
from service.deps import PipelineDep, StateDep
from service.schemas import (
    AskRequest,
    AskResponse,
    CitationsEvent,
    DeltaEvent,
    PassageOut,
    PassagesEvent,
    check_question,
    error_responses,
)
from service.state import ServiceState

log = logging.getLogger("service")
router = APIRouter(tags=["ask"])

_STREAM_DOC = """Server-Sent Events, each an `event: <name>` and a `data: <JSON>` line, in order:

- `passages`: `{"passages": [...]}`, the passages retrieved
- `delta` (one or more): `{"text"}`, the answer text as it is written
- `citations`: `{"citations": [...]}`
- `done`: the rest of the answer object (`question`, `text`, `abstained`, `query`, `support`,
  `backend`, `timings_ms`, `claims`, `fallback`); `text` is the final, verified answer, which
  a written (LLM) answer may have trimmed from what the deltas said

A failure after the stream has begun ends it with an `error` event,
`{"error": {"code", "message"}}`; bad input is refused before it begins, with a JSON error.
The response schema describes one event: its name, and its data's JSON (`contentSchema`).
"""

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


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
    check_question(body.question, state.settings.answer.max_question_chars)
    return AskResponse.of(_ask(pipeline, state, body))


def _check(pipeline: Pipeline, state: ServiceState, body: AskRequest) -> None:
    """Refuse bad input while an HTTP status can still say so."""
    check_question(body.question, state.settings.answer.max_question_chars)
    for doc_id in body.doc_ids or ():
        pipeline.document(doc_id)


@router.post(
    "/ask/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The answer as Server-Sent Events",
            # The schema of one event is written in by service.openapi, from STREAM_EVENTS.
            "content": {"text/event-stream": {"schema": {"type": "object"}}},
        },
        **error_responses(400, 404, 413, 422, 503),
    },
    summary="Answer a question, streamed as Server-Sent Events",
    description=_STREAM_DOC,
)
async def ask_stream(body: AskRequest, pipeline: PipelineDep, state: StateDep) -> StreamingResponse:
    await run_in_threadpool(_check, pipeline, state, body)
    return StreamingResponse(
        _events(pipeline, state, body), media_type="text/event-stream", headers=SSE_HEADERS
    )


def _stream(
    pipeline: Pipeline, state: ServiceState, body: AskRequest
) -> Generator[StreamEvent, None, None]:
    """The core's answer events, with the index held steady until the last one."""
    with state.lock.reading():
        yield from pipeline.ask_stream(
            body.question,
            top_k=body.top_k,
            doc_ids=body.doc_ids,
            history=[turn.to_turn() for turn in body.history],
        )


async def _events(pipeline: Pipeline, state: ServiceState, body: AskRequest) -> AsyncIterator[str]:
    events = _stream(pipeline, state, body)
    try:
        while True:
            item = await run_in_threadpool(next, events, None)
            if item is None:
                return
            kind, value = item
            if kind == "passages":
                passages = PassagesEvent(passages=[PassageOut.of(p) for p in value])
                yield sse("passages", passages.model_dump())
            elif kind == "delta":
                yield sse("delta", DeltaEvent(text=value).model_dump())
            elif kind == "answer":
                answer = AskResponse.of(value)
                yield sse("citations", CitationsEvent(citations=answer.citations).model_dump())
                yield sse("done", answer.model_dump(exclude={"citations", "passages"}))
    except QAError as exc:
        yield sse("error", {"error": {"code": exc.code, "message": exc.message}})
    except Exception:
        log.exception("POST /ask/stream failed")
        message = "internal error; the server log has details"
        yield sse("error", {"error": {"code": "internal_error", "message": message}})
    finally:
        # Also when the client goes away mid-answer (no awaiting here: the task may be
        # cancelled): closing releases the index lock. A generator still busy in a worker
        # thread cannot be closed now; it is finalised, lock released, when that call returns.
        with contextlib.suppress(ValueError):
            events.close()


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event; JSON keeps the data on a single line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


_AFTER_MARKER = re.compile(r"\[\d+\]\s+")
_AFTER_SENTENCE = re.compile(r"[.!?…]\s+")


def split_pieces(text: str) -> list[str]:
    """A finished answer in reading order, one cited (or plain) sentence per piece.

    Joined, the pieces are exactly `text`; for clients that stream a finished answer.
    """
    boundary = _AFTER_MARKER if _AFTER_MARKER.search(text + " ") else _AFTER_SENTENCE
    pieces, begin = [], 0
    for match in boundary.finditer(text):
        pieces.append(text[begin : match.end()])
        begin = match.end()
    if begin < len(text):
        pieces.append(text[begin:])
    return pieces
