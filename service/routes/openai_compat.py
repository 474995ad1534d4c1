"""An OpenAI-compatible chat endpoint, so existing chat clients can use the documents as a model.

The last user message is the question and earlier user/assistant messages are the history.
The reply's content is the verified answer with its [n] markers and a list of sources; the
same citations come as a structured `citations` field beside `choices`.
"""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from qa.errors import InvalidQuestion
from qa.pipeline import Pipeline
from qa.types import Answer, Turn
from service.deps import PipelineDep, StateDep
from service.routes.ask import SSE_HEADERS, split_pieces
from service.schemas import (
    MAX_HISTORY_TURNS,
    CitationOut,
    Text,
    TurnText,
    check_question,
    error_responses,
)
from service.state import ServiceState

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL_ID = "groundedqa"
MAX_TURN_PARTS = 100


class ContentPart(BaseModel):
    """One part of a message; text parts are read, others (images, audio) are ignored."""

    model_config = ConfigDict(extra="allow")

    type: Annotated[Text, Field(max_length=100)]
    text: TurnText | None = None


class ChatMessage(BaseModel):
    """A message, held to the same Unicode and size rules as the turns of POST /ask."""

    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: TurnText | Annotated[list[ContentPart], Field(max_length=MAX_TURN_PARTS)] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: Annotated[Text, Field(max_length=200)] = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    # Accepted for compatibility; the answer is grounded, not sampled, so they change nothing.
    temperature: float | None = None
    max_tokens: int | None = None


def _question_and_history(body: ChatRequest, max_chars: int) -> tuple[str, list[Turn]]:
    """The last user message and the turns before it, checked as POST /ask checks them."""
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidQuestion("the last message must be the user's question")
    if len(turns) - 1 > MAX_HISTORY_TURNS:
        problem = f"at most {MAX_HISTORY_TURNS} user and assistant messages before the question"
        raise RequestValidationError([{"loc": ("body", "messages"), "msg": problem}])
    question = turns[-1].text()
    check_question(question, max_chars)
    return question, [Turn(m.role, m.text()) for m in turns[:-1]]


def _answer(pipeline: Pipeline, state: ServiceState, body: ChatRequest) -> Answer:
    question, history = _question_and_history(body, state.settings.answer.max_question_chars)
    with state.lock.reading():
        return pipeline.ask(question, history=history)


def render_content(answer: Answer) -> str:
    """The answer text, then its sources, as a chat client shows them."""
    if answer.abstained or not answer.citations:
        return answer.text
    sources = [f"[{c.marker}] {c.title} ({c.source}): “{c.quote}”" for c in answer.citations]
    return answer.text + "\n\nSources:\n" + "\n".join(dict.fromkeys(sources))


def _grounding(answer: Answer) -> dict[str, Any]:
    return {
        "citations": [CitationOut.of(c).model_dump() for c in answer.citations],
        "abstained": answer.abstained,
        "backend": answer.backend,
        "fallback": answer.fallback,
    }


@router.get("/models", summary="The one model this service offers")
def list_models() -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "groundedqa"}],
    }


@router.post(
    "/chat/completions",
    responses={
        200: {
            "description": "The completion as JSON, or with `stream: true` as Server-Sent "
            "Events: `data:` lines of chat.completion.chunk JSON, then `data: [DONE]`",
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "properties": {"data": {"type": "string"}},
                        "required": ["data"],
                    }
                }
            },
        },
        **error_responses(400, 404, 413, 422, 503),
    },
    summary="OpenAI-compatible chat completion over the documents",
    description="The last user message is the question, held to the rules of POST /ask: some "
    "text besides white space and at most QA_ANSWER__MAX_QUESTION_CHARS characters (else 400 "
    f"invalid_question), after at most {MAX_HISTORY_TURNS} user and assistant messages.",
)
async def chat_completions(body: ChatRequest, pipeline: PipelineDep, state: StateDep) -> Any:
    answer = await run_in_threadpool(_answer, pipeline, state, body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if body.stream:
        chunks = _chunks(answer, completion_id, created, body.model)
        return StreamingResponse(
            iterate_in_threadpool(chunks), media_type="text/event-stream", headers=SSE_HEADERS
        )
    content = render_content(answer)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        **_grounding(answer),
    }


def _chunks(answer: Answer, completion_id: str, created: int, model: str) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        payload = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in split_pieces(render_content(answer)):
        yield chunk({"content": piece})
    yield chunk({}, "stop", **_grounding(answer))
    yield "data: [DONE]\n\n"
