"""Every error a user can cause answers with its status and {"error": {"code", "message"}}."""

import asyncio

import httpx
import pytest
from fastapi import FastAPI

from service import create_app
from tests.conftest import free_port, make_settings
from tests.service.conftest import serve


def error_of(response: httpx.Response, status: int) -> str:
    """The error code, after checking the status and the body's exact shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]
    assert "Traceback" not in response.text
    return body["error"]["code"]


def upload(name: str, data: bytes) -> list:
    return [("files", (name, data))]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": ""}, 400, "invalid_question"),
        ({"question": "x" * 2001}, 400, "invalid_question"),
        ({"question": "Why?", "doc_ids": ["no-such-doc-abc123"]}, 404, "document_not_found"),
        ({"question": "Why?", "doc_ids": ["../../etc/passwd"]}, 422, "validation_error"),
        ({"question": "Why?", "top_k": 0}, 422, "validation_error"),
        ({"question": "Why?", "top_k": "many"}, 422, "validation_error"),
        ({"question": "Why?", "history": [{"role": "system", "content": "x"}]}, 422, None),
        ({"question": "Why?", "surprise": 1}, 422, "validation_error"),
        ({}, 422, "validation_error"),
        ([], 422, "validation_error"),
    ],
)
@pytest.mark.parametrize("path", ["/ask", "/ask/stream"])
def test_bad_questions(client, path, body, status, code):
    assert error_of(client.post(path, json=body), status) == (code or "validation_error")


def test_malformed_json_and_wrong_content_type(client):
    assert error_of(client.post("/ask", content=b"{nope", headers=_json()), 422)
    assert error_of(client.post("/ask", content=b"question=hi"), 422)
    assert error_of(client.post("/ask", content=b"\xff\xfe", headers=_json()), 422)
    lone_surrogate = b'{"question": "why \\ud800?"}'
    assert error_of(client.post("/ask", content=lone_surrogate, headers=_json()), 422)
    in_history = b'{"question": "why?", "history": [{"role": "user", "content": "\\udfff"}]}'
    assert error_of(client.post("/ask/stream", content=in_history, headers=_json()), 422)


def test_unknown_document_and_bad_ids(client):
    assert error_of(client.get("/documents/no-such-doc-abc123"), 404) == "document_not_found"
    for bad in ["UPPER-case", "-leading", "a" * 81, "dot.ted", "sp ace"]:
        assert error_of(client.get(f"/documents/{bad}"), 422) == "validation_error"
    assert client.get("/documents/..%2F..%2Fetc%2Fpasswd").status_code == 404
    assert error_of(client.get("/no/such/route"), 404) == "not_found"
    assert error_of(client.put("/ask", json={}), 405) == "method_not_allowed"


def test_upload_errors(writer):
    assert error_of(writer.post("/documents", files=upload("x.exe", b"MZ")), 415) == (
        "unsupported_file_type"
    )
    assert error_of(writer.post("/documents", files=upload("noext", b"hi")), 415)
    unreadable = [
        ("empty.txt", b"  \n"),
        ("binary.txt", b"abc\x00\x01\x02def"),
        ("latin1.txt", "café crème".encode("latin-1")),
        ("broken.pdf", b"%PDF-1.4 not really"),
    ]
    for name, data in unreadable:
        assert error_of(writer.post("/documents?wait=true", files=upload(name, data)), 422) == (
            "unreadable_document"
        ), name
    twice = upload("a.txt", b"Some text.") + upload("a.txt", b"Other text.")
    assert error_of(writer.post("/documents", files=twice), 400) == "bad_input"
    assert error_of(writer.post("/documents", files=upload(".hidden.txt", b"Text.")), 400)
    assert error_of(writer.post("/documents", data={"x": "y"}), 422) == "validation_error"


def test_size_and_count_limits(writer):
    # Limits of this server: 1 MB per request, 3 files, 0.5 MB per file, 64 kB of JSON.
    big = upload("big.txt", b"word " * 240_000)
    assert error_of(writer.post("/documents", files=big), 413) == "payload_too_large"
    one_file = upload("medium.txt", b"word " * 120_000)
    assert error_of(writer.post("/documents", files=one_file), 413) == "payload_too_large"
    many = [("files", (f"f{i}.txt", b"Some text.")) for i in range(4)]
    assert error_of(writer.post("/documents", files=many), 413) == "payload_too_large"
    question = {"question": "x" * 70_000}
    assert error_of(writer.post("/ask", json=question), 413) == "payload_too_large"

    def chunked():  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b"x" * 1000

    assert error_of(writer.post("/ask", content=chunked(), headers=_json()), 413)
    assert writer.get("/readyz").status_code == 200


def test_an_unreachable_store_is_a_503_until_it_answers(tmp_path):
    settings = make_settings(
        tmp_path / "store", store={"url": f"http://127.0.0.1:{free_port()}", "timeout_s": 1}
    )
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=30) as c:
        assert c.get("/healthz").status_code == 200
        assert error_of(c.get("/readyz"), 503) == "store_unavailable"
        assert error_of(c.post("/ask", json={"question": "Why?"}), 503) == "store_unavailable"
        assert error_of(c.get("/documents"), 503) == "store_unavailable"


def test_an_unexpected_failure_is_a_json_500_without_a_traceback(tmp_path):
    app: FastAPI = create_app(make_settings(tmp_path / "store"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals /etc/shadow")

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            return await c.get("/boom")

    response = asyncio.run(get())
    assert error_of(response, 500) == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}
