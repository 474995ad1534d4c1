"""POST /ask and /ask/stream against a real uvicorn, real model and real Chroma."""

import json
import threading
import time

import httpx

from tests.service.conftest import FOLLOW_UP_FIRST, read_events


def test_ask_returns_a_cited_answer_whose_quotes_are_in_the_documents(client):
    response = client.post("/ask", json={"question": "When did Putin visit Pyongyang?"})
    assert response.status_code == 200
    answer = response.json()
    assert not answer["abstained"]
    assert answer["backend"] == "extractive"
    assert answer["citations"] and answer["passages"]
    assert "June 19" in answer["text"]
    assert set(answer["timings_ms"]) >= {"embed_ms", "retrieve_ms", "compose_ms", "total_ms"}
    for citation in answer["citations"]:
        assert f"[{citation['marker']}]" in answer["text"]
        document = client.get(f"/documents/{citation['doc_id']}").json()
        assert document["text"][citation["start"] : citation["end"]] == citation["quote"]
        cited = answer["passages"][citation["marker"] - 1]
        assert cited["chunk_id"] == citation["chunk_id"]
        assert cited["start"] <= citation["start"] < citation["end"] <= cited["end"]


def test_ask_abstains_with_the_closest_passages_when_the_documents_do_not_say(client):
    answer = client.post("/ask", json={"question": "Who won the 2018 football World Cup?"}).json()
    assert answer["abstained"]
    assert answer["citations"] == []
    assert answer["passages"]


def test_ask_honours_top_k_and_the_document_filter(client):
    documents = client.get("/documents").json()["documents"]
    only = next(d["doc_id"] for d in documents if d["source"].startswith("004"))
    body = {"question": "What does the treaty provide for?", "top_k": 2, "doc_ids": [only]}
    answer = client.post("/ask", json=body).json()
    assert len(answer["passages"]) <= 2
    assert {p["doc_id"] for p in answer["passages"]} == {only}


def test_stream_sends_passages_then_deltas_then_citations_then_done(client):
    question = "What does the mutual assistance treaty provide for?"
    response = client.post("/ask/stream", json={"question": question})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = read_events(response)
    names = [name for name, _ in events]
    assert names[0] == "passages"
    assert names[-2:] == ["citations", "done"]
    assert set(names[1:-2]) == {"delta"} and len(names) >= 4
    data = [json.loads(d) for _, d in events]
    whole = client.post("/ask", json={"question": question}).json()
    assert data[0]["passages"] == whole["passages"]
    assert "".join(d["text"] for d in data[1:-2]) == whole["text"]
    assert data[-2]["citations"] == whole["citations"]
    done = data[-1]
    assert {k: done[k] for k in ("question", "text", "query", "abstained", "backend")} == {
        k: whole[k] for k in ("question", "text", "query", "abstained", "backend")
    }
    assert set(done["timings_ms"]) == set(whole["timings_ms"])
    # One cited sentence per delta: each ends with its marker.
    if len(whole["citations"]) > 1:
        assert len(names[1:-2]) == len(whole["citations"])
        for d in data[1:-2]:
            assert d["text"].rstrip().endswith("]")


def test_stream_refuses_bad_input_with_a_status_before_streaming(client):
    response = client.post("/ask/stream", json={"question": "   "})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_question"


def test_follow_up_uses_the_history_to_retrieve_from_the_right_document(client):
    documents = {d["source"]: d["doc_id"] for d in client.get("/documents").json()["documents"]}
    bernal = documents["004_a5707477a1615087.txt"]
    first = client.post("/ask", json={"question": FOLLOW_UP_FIRST}).json()
    history = [
        {"role": "user", "content": FOLLOW_UP_FIRST},
        {"role": "assistant", "content": first["text"]},
    ]
    follow_up = "and what does she say about China?"
    answer = client.post("/ask", json={"question": follow_up, "history": history}).json()
    assert answer["query"] != follow_up and FOLLOW_UP_FIRST in answer["query"]
    assert answer["passages"][0]["doc_id"] == bernal
    assert not answer["abstained"]
    assert all(c["doc_id"] == bernal for c in answer["citations"])
    assert any("China" in c["quote"] or "Beijing" in c["quote"] for c in answer["citations"])
    # Without the history the same words are not enough to find her document first.
    alone = client.post("/ask", json={"question": follow_up}).json()
    assert alone["query"] == follow_up


def test_a_client_leaving_mid_stream_does_not_hold_up_writes(writable_url, writer):
    """The stream holds the index steady; a client that goes away must release it."""
    from service.routes import ask as ask_route

    released = threading.Event()
    original = ask_route._stream

    def slow_stream(pipeline, state, body):
        with state.lock.reading():
            try:
                yield "passages", ()
                for _ in range(300):  # a slow writer: 30 s of small pieces
                    time.sleep(0.1)
                    yield "delta", "more "
            finally:
                released.set()

    ask_route._stream = slow_stream
    try:
        with (
            httpx.Client(base_url=writable_url, timeout=60) as c,
            c.stream("POST", "/ask/stream", json={"question": "Anything?"}) as response,
        ):
            assert next(response.iter_lines()) == "event: passages"
        began = time.monotonic()
        deleted = writer.delete("/documents/no-such-doc-abc123")
        assert deleted.status_code == 404
        assert released.wait(10)
        assert time.monotonic() - began < 10
    finally:
        ask_route._stream = original
