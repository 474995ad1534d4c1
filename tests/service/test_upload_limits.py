"""Parse budgets over HTTP and in `qa index`: QA_INDEX__* settings from the environment apply
to both; a file past them is refused with one clear line, never a hang."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from qa.settings import Settings
from service import create_app
from tests.index.pathological import RUNAWAY_HTML, TEXT_PAGE, WIDE_HTML, pages_pdf
from tests.service.conftest import serve
from tests.service.test_cli import fails_cleanly, run_qa

# A hang guard only: the old loader never answered some of these uploads.
pytestmark = pytest.mark.timeout(300)

LIMITS = {
    "QA_INDEX__PARSE_SECONDS": "1",
    "QA_INDEX__MAX_PDF_PAGES": "2",
    "QA_INDEX__MAX_CHARS": "1000000",
}


@pytest.fixture(scope="module")
def budget_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server over an empty store whose parse limits come from the environment."""
    store = tmp_path_factory.mktemp("service-budgets") / "store"
    with pytest.MonkeyPatch.context() as env:
        for name, value in LIMITS.items():
            env.setenv(name, value)
        env.setenv("QA_STORE__PATH", str(store))
        settings = Settings(_env_file=None)
    assert settings.index.max_pdf_pages == 2
    with serve(create_app(settings)) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


def upload(client: httpx.Client, name: str, data: bytes) -> httpx.Response:
    """Upload and wait for the job's outcome (201, or the failure's own status)."""
    return client.post("/documents?wait=true", files=[("files", (name, data))])


def test_a_page_of_20000_paragraphs_is_indexed(budget_client):
    response = upload(budget_client, "wide.html", WIDE_HTML)
    assert response.status_code == 201, response.text
    (result,) = response.json()["documents"]
    assert result["status"] == "added" and result["chunks"] >= 1
    text = budget_client.get(f"/documents/{result['doc_id']}").json()["text"]
    assert text == "\n\n".join(["x"] * 20_000)


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("runaway.html", RUNAWAY_HTML, "QA_INDEX__PARSE_SECONDS"),
        ("three.pdf", pages_pdf(3, TEXT_PAGE), "QA_INDEX__MAX_PDF_PAGES"),
        ("long.txt", b"word " * 250_000, "QA_INDEX__MAX_CHARS"),
    ],
)
def test_a_file_past_its_budget_gets_422_with_a_clear_message(budget_client, name, data, fragment):
    before = budget_client.get("/documents").json()["documents"]
    response = upload(budget_client, name, data)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "unreadable_document"
    assert name in error["message"] and fragment in error["message"]
    assert "\n" not in error["message"]
    assert budget_client.get("/documents").json()["documents"] == before


@pytest.mark.cli
def test_qa_index_applies_the_budget_from_the_environment(tmp_path: Path):
    (tmp_path / "runaway.html").write_bytes(RUNAWAY_HTML)
    (tmp_path / "three.pdf").write_bytes(pages_pdf(3, TEXT_PAGE))
    for name, fragment in (
        ("runaway.html", "QA_INDEX__PARSE_SECONDS"),
        ("three.pdf", "QA_INDEX__MAX_PDF_PAGES"),
    ):
        result = run_qa(
            "index", str(tmp_path / name), store=tmp_path / "store", cwd=tmp_path, **LIMITS
        )
        fails_cleanly(result, name, fragment)


def test_folders_and_control_characters_in_upload_names(budget_client):
    response = upload(budget_client, "../../etc/notes.txt", b"The tide turned at noon.")
    assert response.status_code == 201, response.text
    (result,) = response.json()["documents"]
    assert result["source"] == "notes.txt"
    budget_client.delete(f"/documents/{result['doc_id']}")
    response = upload(budget_client, "bell\x07\x1b[31m.txt", b"Some text.")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert not any(ord(c) < 32 for c in message) and "plain name" in message
