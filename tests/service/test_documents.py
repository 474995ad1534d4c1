"""Documents over HTTP: list, read, upload, replace, delete; the API key on writes."""

import threading

import httpx

from tests.service.conftest import API_KEY

NEW_FACT = (
    "The Harbour Lantern Festival in Vesterby is held every October. "
    "In 2023 the festival committee chose the sea otter as the festival's official mascot. "
    "Lanterns are floated from the north pier after sunset on the final Saturday."
)
QUESTION = "Which animal did the Vesterby festival committee choose as its mascot?"


def test_documents_lists_the_sample_corpus_and_serves_full_text(client):
    documents = client.get("/documents").json()["documents"]
    assert len(documents) == 2
    for summary in documents:
        assert summary["chunks"] > 0 and summary["title"] and summary["author"]
        detail = client.get(f"/documents/{summary['doc_id']}").json()
        assert {k: detail[k] for k in summary} == summary
        assert len(detail["text"]) > 1000 and len(detail["sha256"]) == 64


def test_upload_then_ask_then_delete(writer):
    response = writer.post(
        "/documents?wait=true", files=[("files", ("vesterby.txt", NEW_FACT.encode()))]
    )
    assert response.status_code == 201, response.text
    (result,) = response.json()["documents"]
    assert result["status"] == "added" and result["source"] == "vesterby.txt"
    doc_id = result["doc_id"]
    assert doc_id in {d["doc_id"] for d in writer.get("/documents").json()["documents"]}

    answer = writer.post("/ask", json={"question": QUESTION}).json()
    assert not answer["abstained"]
    assert answer["citations"][0]["doc_id"] == doc_id
    assert "sea otter" in answer["text"]

    deleted = writer.delete(f"/documents/{doc_id}")
    assert deleted.status_code == 200
    assert deleted.json() == {"doc_id": doc_id, "chunks_removed": result["chunks"]}
    assert writer.get(f"/documents/{doc_id}").status_code == 404
    after = writer.post("/ask", json={"question": QUESTION}).json()
    assert all(p["doc_id"] != doc_id for p in after["passages"])
    assert "sea otter" not in after["text"]


def test_same_source_upload_replaces_and_several_files_go_in_one_request(writer):
    first = writer.post(
        "/documents?wait=true", files=[("files", ("notes.md", b"# Notes\n\nAlpha beta."))]
    )
    assert first.json()["documents"][0]["status"] == "added"
    files = [
        ("files", ("notes.md", b"# Notes\n\nThe quarterly budget review moved to Thursday.")),
        ("files", ("page.html", b"<html><title>Page</title><body><p>Gamma delta.</p></body>")),
    ]
    second = writer.post("/documents?wait=true", files=files)
    assert second.status_code == 201, second.text
    results = {r["source"]: r for r in second.json()["documents"]}
    assert results["notes.md"]["status"] == "replaced"
    assert results["notes.md"]["doc_id"] == first.json()["documents"][0]["doc_id"]
    assert results["page.html"]["title"] == "Page"
    text = writer.get(f"/documents/{results['notes.md']['doc_id']}").json()["text"]
    assert "budget review" in text and "Alpha" not in text
    for r in results.values():
        writer.delete(f"/documents/{r['doc_id']}")


def test_a_bad_file_stops_the_whole_upload_before_anything_is_written(writer):
    before = writer.get("/documents").json()["documents"]
    files = [("files", ("good.txt", b"Perfectly good text here.")), ("files", ("bad.exe", b"MZ"))]
    response = writer.post("/documents?wait=true", files=files)
    assert response.status_code == 415
    assert writer.get("/documents").json()["documents"] == before


def test_writes_need_the_api_key_when_one_is_set(writable_url):
    with httpx.Client(base_url=writable_url, timeout=60) as anonymous:
        upload = [("files", ("k.txt", b"Some text to index."))]
        for headers in ({}, {"X-API-Key": "wrong"}, {"X-API-Key": API_KEY + "x"}):
            for response in (
                anonymous.post("/documents", files=upload, headers=headers),
                anonymous.delete("/documents/some-doc-abc123", headers=headers),
            ):
                assert response.status_code == 401
                assert response.json()["error"]["code"] == "unauthorized"
        # Reading needs no key.
        assert anonymous.get("/documents").status_code == 200
        ok = anonymous.delete("/documents/some-doc-abc123", headers={"X-API-Key": API_KEY})
        assert ok.status_code == 404


def test_without_an_api_key_writes_are_open(client):
    response = client.delete("/documents/no-such-doc-abc123")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "document_not_found"


def test_questions_keep_being_answered_while_documents_change(writer, writable_url):
    """Asks run side by side; an upload and a delete wait their turn, and nothing fails."""
    statuses: list[int] = []
    done = threading.Event()

    def ask_until_done() -> None:
        with httpx.Client(base_url=writable_url, timeout=120) as c:
            while not done.is_set():
                statuses.append(c.post("/ask", json={"question": QUESTION}).status_code)

    askers = [threading.Thread(target=ask_until_done) for _ in range(4)]
    for t in askers:
        t.start()
    try:
        text = " ".join(f"Line {i} of the busy document mentions item {i}." for i in range(150))
        for _ in range(2):
            response = writer.post(
                "/documents?wait=true", files=[("files", ("busy.txt", text.encode()))]
            )
            assert response.status_code == 201, response.text
            doc_id = response.json()["documents"][0]["doc_id"]
            assert writer.delete(f"/documents/{doc_id}").status_code == 200
    finally:
        done.set()
        for t in askers:
            t.join()
    assert statuses and set(statuses) == {200}
