"""/ask, /ask/stream and /v1/chat/completions refuse the same bad questions the same way."""

import json

import httpx
import pytest

from tests.service.test_errors import error_of

QUESTION = "where was the treaty signed"
# The JSON escape of a lone surrogate: valid JSON, not valid Unicode text.
LONE = "\\ud800 " + QUESTION


def with_raw(payload: dict, question: str) -> str:
    """`payload` as JSON, with the question put in as written (escapes and all)."""
    return json.dumps(payload).replace('"@question@"', f'"{question}"')


def ask_body(question: str, stream: bool = False) -> str:
    return with_raw({"question": "@question@"}, question)


def chat_string(question: str, stream: bool = False) -> str:
    message = {"role": "user", "content": "@question@"}
    return with_raw({"messages": [message], "stream": stream}, question)


def chat_parts(question: str, stream: bool = False) -> str:
    message = {"role": "user", "content": [{"type": "text", "text": "@question@"}]}
    return with_raw({"messages": [message], "stream": stream}, question)


# (path, body builder, stream): every way a question reaches the service.
ROUTES = {
    "ask": ("/ask", ask_body, False),
    "ask-stream": ("/ask/stream", ask_body, False),
    "chat": ("/v1/chat/completions", chat_string, False),
    "chat-stream": ("/v1/chat/completions", chat_string, True),
    "chat-parts": ("/v1/chat/completions", chat_parts, False),
    "chat-parts-stream": ("/v1/chat/completions", chat_parts, True),
}


def post_raw(client: httpx.Client, path: str, body: str) -> httpx.Response:
    """Send the JSON text as written, so escapes reach the server undecoded."""
    return client.post(path, content=body.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("route", ROUTES)
def test_a_lone_surrogate_is_refused_with_422_on_every_route(client, route):
    path, build, stream = ROUTES[route]
    response = post_raw(client, path, build(LONE, stream))
    assert error_of(response, 422) == "validation_error"
    assert "Unicode" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "body",
    [
        # an earlier turn, a later surrogate half, and a field that is echoed back
        '{"messages": [{"role": "user", "content": "\\udfff"}, '
        '{"role": "assistant", "content": "ok"}, {"role": "user", "content": "Why?"}]}',
        '{"messages": [{"role": "system", "content": "be brief \\udc00"}, '
        '{"role": "user", "content": "Why?"}]}',
        '{"model": "\\ud800", "messages": [{"role": "user", "content": "Why?"}]}',
    ],
)
def test_chat_refuses_bad_text_anywhere_in_the_request(client, body):
    assert error_of(post_raw(client, "/v1/chat/completions", body), 422) == "validation_error"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("question", ["", "   \\n\\t ", "x" * 2001])
def test_empty_blank_and_over_long_questions_get_the_same_answer_on_every_route(
    client, route, question
):
    path, build, stream = ROUTES[route]
    response = post_raw(client, path, build(question, stream))
    assert error_of(response, 400) == "invalid_question"


def test_padding_does_not_stretch_the_length_limit(client):
    """The limit is on the text as sent, as the schema's maxLength says."""
    padded = " " * 10 + "x" * 1995
    for path, build, stream in ROUTES.values():
        assert error_of(post_raw(client, path, build(padded, stream)), 400) == "invalid_question"


@pytest.mark.parametrize("route", ROUTES)
def test_a_good_question_still_gets_its_answer(client, route):
    path, build, stream = ROUTES[route]
    response = post_raw(client, path, build("What did Russia veto in March?", stream))
    assert response.status_code == 200, response.text
    assert "Russia" in response.text


def test_history_is_held_to_the_same_length_on_ask_and_chat(client):
    turns = [{"role": ("user", "assistant")[i % 2], "content": "and?"} for i in range(51)]
    chat = {"messages": [*turns[:50], {"role": "user", "content": "Why?"}]}
    assert client.post("/v1/chat/completions", json=chat).status_code == 200
    assert client.post("/ask", json={"question": "Why?", "history": turns[:50]}).status_code == 200
    chat["messages"].insert(0, turns[-1])
    assert error_of(client.post("/v1/chat/completions", json=chat), 422) == "validation_error"
    assert error_of(client.post("/ask", json={"question": "Why?", "history": turns}), 422) == (
        "validation_error"
    )
