"""The OpenAPI schema completed with what FastAPI cannot derive: limits set by settings, and
the events of the Server-Sent Events stream."""

from collections.abc import Callable
from typing import Any, Literal

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from qa.settings import Settings
from service.schemas import STREAM_EVENTS

_REF = "#/components/schemas/{model}"


def install_openapi(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` state the configured question limit and the stream's events."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            _state_question_limit(schema, settings.answer.max_question_chars)
            _describe_stream_events(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _state_question_limit(schema: dict[str, Any], max_chars: int) -> None:
    question = schema["components"]["schemas"]["AskRequest"]["properties"]["question"]
    question["maxLength"] = max_chars


def _describe_stream_events(schema: dict[str, Any]) -> None:
    """Describe one event of /ask/stream: its name, and its data as JSON of a known shape.

    Before OpenAPI 3.2 (itemSchema), the schema of a text/event-stream response is read as
    the schema of each event, an object of `event` and `data` strings, as FastAPI's own
    Server-Sent Events and schemathesis read it.
    """
    mode: Literal["serialization"] = "serialization"
    models = [(model, mode) for model in STREAM_EVENTS.values()]
    refs, definitions = models_json_schema(models, ref_template=_REF)
    components = schema["components"]["schemas"]
    for name, definition in definitions.get("$defs", {}).items():
        components.setdefault(name, definition)
    events = []
    for name, model in STREAM_EVENTS.items():
        data = {
            "type": "string",
            "contentMediaType": "application/json",
            "contentSchema": refs[(model, "serialization")],
        }
        events.append(
            {
                "type": "object",
                "title": f"{name} event",
                "properties": {"event": {"const": name}, "data": data},
                "required": ["event", "data"],
            }
        )
    stream = schema["paths"]["/ask/stream"]["post"]["responses"]["200"]["content"]
    stream["text/event-stream"]["schema"] = {"oneOf": events}
