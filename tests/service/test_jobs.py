"""Uploads as jobs: 202 and polling, ?wait=true, questions answered while a file is embedded,
partial failures reported file by file, idempotent retries, a bounded queue, write rates,
and the API key checked before the body is read."""

import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from service import create_app
from tests.conftest import make_settings
from tests.service.conftest import API_KEY, index_sample, serve

QUESTION = "What did Russia veto in March?"


def long_text(sentences: int, topic: str = "harbour") -> bytes:
    """Plain prose with varied words, about 16 sentences to a chunk."""
    words = ["lantern", "ledger", "ferry", "granary", "orchard", "signal", "quarry", "canal"]
    lines = [
        f"In year {1800 + i % 200} the {topic} {words[i % 8]} number {i} was counted again by "
        f"clerk {i * 7 % 97} and found {words[(i * 3) % 8]} in good order."
        for i in range(sentences)
    ]
    return " ".join(lines).encode()


def files(*named: tuple[str, bytes]) -> list:
    return [("files", (name, data)) for name, data in named]


def poll(client: httpx.Client, location: str, until, timeout: float = 600) -> dict:
    """GET the job until `until(job)` holds; fails when the job ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(location)
        assert response.status_code == 200, response.text
        job = response.json()
        if until(job):
            return job
        assert job["state"] in ("queued", "running"), job
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.05)


def from_address(url: str, address: str) -> httpx.Client:
    """A client whose requests come from `address` (any 127.x.y.z reaches loopback)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=url, timeout=60, transport=transport)


def finished(job: dict) -> bool:
    return job["state"] in ("done", "failed")


def accepted(response: httpx.Response) -> str:
    """The job's location, after checking the upload was accepted as a job."""
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert location == f"/jobs/{response.json()['job_id']}"
    return location


@pytest.fixture(scope="module")
def jobs_app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    settings = make_settings(
        tmp_path_factory.mktemp("service-jobs") / "store",
        service={"max_waiting_uploads": 1, "write_burst": 1000},
    )
    index_sample(settings)
    return create_app(settings)


@pytest.fixture(scope="module")
def jobs_url(jobs_app: FastAPI) -> Iterator[str]:
    with serve(jobs_app) as url:
        yield url


@pytest.fixture
def jobs_client(jobs_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=jobs_url, timeout=120) as c:
        yield c


def test_an_upload_is_a_job_polled_to_done_and_the_same_file_again_is_skipped(jobs_client):
    upload = files(("otters.txt", b"The Vesterby festival chose the sea otter as its mascot."))
    location = accepted(jobs_client.post("/documents", files=upload))
    job = poll(jobs_client, location, finished)
    assert job["state"] == "done" and job["error"] is None
    assert job["applied"] == ["otters.txt"] and job["not_applied"] == []
    (file,) = job["files"]
    assert file["state"] == "done" and file["progress"] == 1
    assert file["chunks_done"] == file["chunks_total"] == file["result"]["chunks"] == 1
    assert file["result"]["status"] == "added" and file["result"]["source"] == "otters.txt"
    answer = jobs_client.post("/ask", json={"question": "Which animal is the mascot?"}).json()
    assert "sea otter" in answer["text"]

    again = poll(jobs_client, accepted(jobs_client.post("/documents", files=upload)), finished)
    assert again["state"] == "done" and again["applied"] == ["otters.txt"]
    assert again["files"][0]["state"] == "skipped"
    assert again["files"][0]["result"]["status"] == "unchanged"
    jobs_client.delete(f"/documents/{file['result']['doc_id']}")


def test_wait_true_answers_201_with_the_outcome(jobs_client):
    upload = files(("kiwi.txt", b"The kiwi is a flightless bird from New Zealand."))
    response = jobs_client.post("/documents", params={"wait": "true"}, files=upload)
    assert response.status_code == 201, response.text
    (result,) = response.json()["documents"]
    assert result["status"] == "added" and result["source"] == "kiwi.txt"
    assert jobs_client.delete(f"/documents/{result['doc_id']}").status_code == 200


def test_a_bad_file_fails_the_job_before_anything_is_written(jobs_client):
    before = jobs_client.get("/documents").json()
    upload = files(("good.txt", b"Perfectly good text."), ("bad.txt", b"abc\x00\x01def"))
    job = poll(jobs_client, accepted(jobs_client.post("/documents", files=upload)), finished)
    assert job["state"] == "failed" and job["applied"] == []
    assert job["not_applied"] == ["good.txt", "bad.txt"]
    good, bad = job["files"]
    assert bad["state"] == "failed" and bad["error"]["code"] == "unreadable_document"
    assert good["state"] == "failed" and good["error"]["code"] == "not_applied"
    assert "bad.txt" in good["error"]["message"]
    assert jobs_client.get("/documents").json() == before
    waited = jobs_client.post("/documents", params={"wait": "true"}, files=upload)
    assert waited.status_code == 422 and waited.json()["error"]["code"] == "unreadable_document"


def test_questions_are_answered_while_an_upload_is_embedded(jobs_client):
    upload = files(("ledger.txt", long_text(6000)))
    location = accepted(jobs_client.post("/documents", files=upload))
    poll(jobs_client, location, lambda job: job["files"][0]["chunks_done"] > 0)
    answer = jobs_client.post("/ask", json={"question": QUESTION})
    assert answer.status_code == 200 and answer.json()["citations"]
    during = jobs_client.get(location).json()
    assert during["state"] == "running", "the question waited for the upload to finish"
    (file,) = during["files"]
    assert file["state"] == "embedding" and 0 < file["chunks_done"] < file["chunks_total"]
    assert 0 < file["progress"] < 1
    assert "ledger.txt" not in {
        d["source"] for d in jobs_client.get("/documents").json()["documents"]
    }
    done = poll(jobs_client, location, finished)
    assert done["state"] == "done" and done["files"][0]["result"]["chunks"] == file["chunks_total"]
    jobs_client.delete(f"/documents/{done['files'][0]['result']['doc_id']}")


def test_uploads_queue_up_to_the_limit_then_get_503_with_retry_after(jobs_client):
    first = accepted(jobs_client.post("/documents", files=files(("q1.txt", long_text(1500)))))
    poll(jobs_client, first, lambda job: job["state"] == "running")
    second = accepted(jobs_client.post("/documents", files=files(("q2.txt", b"Queued text."))))
    assert jobs_client.get(second).json()["state"] == "queued"
    third = jobs_client.post("/documents", files=files(("q3.txt", b"One too many.")))
    assert third.status_code == 503, third.text
    assert third.json()["error"]["code"] == "busy"
    assert int(third.headers["retry-after"]) >= 1
    for location in (first, second):
        job = poll(jobs_client, location, finished)
        assert job["state"] == "done"
        jobs_client.delete(f"/documents/{job['files'][0]['result']['doc_id']}")


def test_a_store_failure_part_way_says_which_files_were_applied_and_a_retry_finishes(
    jobs_client, jobs_app, monkeypatch
):
    """Chroma refuses the second file's write: the first stays applied, the job says so, and
    sending the same three files again skips the first and writes the other two."""
    pipeline = jobs_app.state.service.pipeline()
    collection = pipeline.store._collection
    real_upsert = collection.upsert

    def upsert_failing_on_b(**kwargs):
        if kwargs["metadatas"][0]["title"] == "b":
            raise ConnectionError("Chroma went away")
        return real_upsert(**kwargs)

    monkeypatch.setattr(collection, "upsert", upsert_failing_on_b)
    upload = files(
        ("a.txt", b"Alder trees line the river at Vesterby."),
        ("b.txt", b"Birch bark canoes are built in the old boathouse."),
        ("c.txt", b"Cedar shingles cover the roof of the chapel."),
    )
    job = poll(jobs_client, accepted(jobs_client.post("/documents", files=upload)), finished)
    assert job["state"] == "failed" and job["error"]["code"] == "store_unavailable"
    assert job["applied"] == ["a.txt"] and job["not_applied"] == ["b.txt", "c.txt"]
    a, b, c = job["files"]
    assert a["state"] == "done" and a["result"]["status"] == "added"
    assert b["state"] == "failed" and b["error"]["code"] == "store_unavailable"
    assert c["state"] == "failed" and c["error"]["code"] == "not_applied"
    listed = {d["source"] for d in jobs_client.get("/documents").json()["documents"]}
    assert "a.txt" in listed and not {"b.txt", "c.txt"} & listed

    waited = jobs_client.post("/documents", params={"wait": "true"}, files=upload)
    assert waited.status_code == 503
    assert "applied: a.txt; not applied: b.txt, c.txt" in waited.json()["error"]["message"]
    assert waited.headers["location"].startswith("/jobs/")

    monkeypatch.undo()
    retry = poll(jobs_client, accepted(jobs_client.post("/documents", files=upload)), finished)
    assert retry["state"] == "done" and retry["not_applied"] == []
    assert [f["state"] for f in retry["files"]] == ["skipped", "done", "done"]
    assert [f["result"]["status"] for f in retry["files"]] == ["unchanged", "added", "added"]
    answer = jobs_client.post("/ask", json={"question": "What covers the chapel roof?"}).json()
    assert "Cedar shingles" in answer["text"]
    assert pipeline.store.ids() == set(pipeline.catalog.view().chunks)
    for f in retry["files"]:
        jobs_client.delete(f"/documents/{f['result']['doc_id']}")


def test_an_unknown_job_is_404(jobs_client):
    response = jobs_client.get("/jobs/" + "0" * 32)
    assert response.status_code == 404 and response.json()["error"]["code"] == "job_not_found"
    assert jobs_client.get("/jobs/not-a-job").status_code == 422


@pytest.fixture(scope="module")
def guarded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with an API key, a 1 MB upload limit and a tight write rate."""
    settings = make_settings(
        tmp_path_factory.mktemp("service-guarded") / "store",
        service={
            "api_key": API_KEY,
            "max_upload_mb": 1,
            "write_burst": 3,
            "write_per_minute": 1,
        },
    )
    with serve(create_app(settings)) as url:
        yield url


def test_an_oversized_upload_without_the_key_gets_401_not_413(guarded_url):
    big = files(("big.txt", b"word " * 300_000))  # 1.5 MB, over the 1 MB limit

    def chunked():
        for _ in range(30):
            yield b"x" * 100_000

    with from_address(guarded_url, "127.0.0.7") as c:
        for headers in ({}, {"X-API-Key": "wrong"}):
            response = c.post("/documents", files=big, headers=headers)
            assert response.status_code == 401, response.text
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == "ApiKey"
        response = c.post(
            "/documents", content=chunked(), headers={"Content-Type": "multipart/form-data"}
        )
        assert response.status_code == 401
    with from_address(guarded_url, "127.0.0.8") as c:
        response = c.post("/documents", files=big, headers={"X-API-Key": API_KEY})
        assert response.status_code == 413


def test_writes_over_a_clients_rate_get_429_and_other_clients_and_reads_go_on(guarded_url):
    key = {"X-API-Key": API_KEY}
    with from_address(guarded_url, "127.0.0.9") as c:
        for _ in range(3):  # the burst
            assert c.delete("/documents/no-such-doc-abc123", headers=key).status_code == 404
        limited = c.delete("/documents/no-such-doc-abc123", headers=key)
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        upload = c.post("/documents", files=files(("x.txt", b"Text.")), headers=key)
        assert upload.status_code == 429
        assert c.get("/documents").status_code == 200
    with from_address(guarded_url, "127.0.0.10") as other:
        assert other.delete("/documents/no-such-doc-abc123", headers=key).status_code == 404
