"""An OpenAI-compatible chat endpoint, so existing chat clients can use the documents as a model.

The last user message is the question and earlier user/assistant messages are the history.
The reply's content is the verified answer with its [n] markers and a list of sources; the
same citations come as a structured `citations` field beside `choices`.
"""

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import iterate_in_threadpool, run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from qa.errors import InvalidQuestion
from qa.pipeline import Pipeline
from qa.types import Answer, Turn
from service.deps import PipelineDep, StateDep
from service.routes.ask import split_pieces
from service.schemas import CitationOut, error_responses
from service.state import ServiceState

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
MODEL_ID = "groundedqa"


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "developer", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return " ".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    # Accepted for compatibility; the answer is grounded, not sampled, so they change nothing.
    temperature: float | None = None
    max_tokens: int | None = None


def _question_and_history(body: ChatRequest) -> tuple[str, list[Turn]]:
    turns = [m for m in body.messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise InvalidQuestion("the last message must be the user's question")
    history = [Turn(m.role, m.text()) for m in turns[:-1]]
    return turns[-1].text(), history


def _answer(pipeline: Pipeline, state: ServiceState, body: ChatRequest) -> Answer:
    question, history = _question_and_history(body)
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
    responses=error_responses(400, 404, 413, 422, 503),
    summary="OpenAI-compatible chat completion over the documents",
)
async def chat_completions(body: ChatRequest, pipeline: PipelineDep, state: StateDep) -> Any:
    answer = await run_in_threadpool(_answer, pipeline, state, body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if body.stream:
        chunks = _chunks(answer, completion_id, created, body.model)
        return StreamingResponse(
            iterate_in_threadpool(chunks),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
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
