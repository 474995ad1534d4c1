"""The web chat in a real browser: Debian's chromium driven by Playwright."""

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.service.conftest import API_KEY

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("QA_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).is_file():  # a failure, not a skip: CI must run these for real
        pytest.fail(
            f"{CHROMIUM} is missing: install it with `make browser` (apt-get install chromium)"
        )

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser) -> Iterator:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def ask(page, question: str):
    """Type a question, send it, and wait for the answer to finish; returns the answer turn."""
    before = page.locator("li.turn.assistant").count()
    page.fill("#question", question)
    page.click("#ask-button")
    turn = page.locator("li.turn.assistant").nth(before)
    turn.locator("details.details").wait_for()
    return turn


def test_ask_see_cited_answer_click_a_citation_see_the_quote(page, live_url, client, tmp_path):
    page.goto(live_url)
    page.locator("#documents li").first.wait_for()
    assert page.locator("#documents li").count() == 2
    question = "When did Putin visit Pyongyang?"
    turn = ask(page, question)
    expected = client.post("/ask", json={"question": question}).json()
    shown = turn.locator(".answer-text").inner_text()
    assert shown.split() == expected["text"].split()
    links = turn.locator("a.cite")
    assert links.count() == len(expected["citations"]) >= 1
    assert links.first.inner_text() == f"[{expected['citations'][0]['marker']}]"

    links.first.click()
    mark = page.locator("#source-text mark.quote")
    mark.wait_for()
    assert mark.inner_text().split() == expected["citations"][0]["quote"].split()
    assert mark.is_visible()
    assert expected["citations"][0]["title"] in page.locator("#source-title").inner_text()
    # The quote sits inside the whole document's text, in the shaded passage around it.
    full = page.locator("#source-text").inner_text()
    assert len(full) > len(mark.inner_text()) * 5
    details = turn.locator("details.details")
    details.locator("summary").click()
    assert "Standalone query" in details.inner_text() and "total" in details.inner_text()
    page.screenshot(path=str(tmp_path / "answered-chat.png"), full_page=True)
    assert (tmp_path / "answered-chat.png").stat().st_size > 10_000


def test_follow_up_and_abstention_are_shown(page, live_url):
    page.goto(live_url)
    ask(page, "What does Gabriela Bernal say about the mutual assistance provision?")
    turn = ask(page, "and what does she say about China?")
    turn.locator("summary").click()
    assert "Gabriela Bernal" in turn.locator(".details-list").inner_text()
    turn = ask(page, "Who won the 2018 football World Cup?")
    assert "No answer found" in turn.locator(".abstention-label").inner_text()
    assert turn.locator(".closest li").count() >= 1
    assert turn.locator("a.cite").count() == 0


def test_upload_a_file_and_ask_about_it(page, writable_url, tmp_path):
    note = tmp_path / "lighthouse.txt"
    note.write_text(
        "The Kestrel Point lighthouse was automated in 1987. "
        "Its keeper, Ingrid Halvorsen, kept a logbook of every storm for thirty-one years. "
        "The lamp is visible for twenty-two nautical miles in clear weather.",
        encoding="utf-8",
    )
    page.goto(writable_url)
    page.set_input_files("#files", str(note))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_contain_text("Upload refused")  # no API key yet
    page.fill("#api-key", API_KEY)
    page.set_input_files("#files", str(note))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_contain_text("lighthouse.txt: added")
    expect(page.locator("#documents li", has_text="lighthouse")).to_have_count(1)
    turn = ask(page, "Who kept a logbook of every storm at the lighthouse?")
    assert "Ingrid Halvorsen" in turn.locator(".answer-text").inner_text()
    turn.locator("a.cite").first.click()
    expect(page.locator("#source-text mark.quote")).to_contain_text("Ingrid Halvorsen")


PART_WAY = """name => {
    const row = [...document.querySelectorAll("#upload-files li")]
        .find((r) => r.textContent.includes(name));
    const bar = row?.querySelector("progress");
    return row?.dataset.state === "embedding" && bar.value > 0 && bar.value < 1
        && /embedding \\d+ of \\d+ chunks/.test(row.textContent);
}"""


def test_upload_shows_a_progress_bar_per_file_and_each_files_outcome(page, writable_url, tmp_path):
    ledger = tmp_path / "ledger.txt"
    ledger.write_text(
        " ".join(
            f"In year {1800 + i} the harbour ledger entry {i} was checked by clerk {i % 31}."
            for i in range(3000)
        ),
        encoding="utf-8",
    )
    repeat = tmp_path / "repeat.txt"
    repeat.write_text("The ferry to Vesterby leaves at dawn every Tuesday.", encoding="utf-8")
    page.goto(writable_url)
    page.fill("#api-key", API_KEY)
    page.set_input_files("#files", str(repeat))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_contain_text("repeat.txt: added (1 chunks)")

    page.set_input_files("#files", [str(ledger), str(repeat)])
    page.click("#upload-button")
    rows = page.locator("#upload-files li")
    expect(rows).to_have_count(2)

    def row(name: str):
        return rows.filter(has=page.get_by_text(name, exact=True))

    ledger_row = row("ledger.txt")
    # While it is embedded, the ledger's bar is part-way and its note says how far.
    page.wait_for_function(PART_WAY, arg="ledger.txt", timeout=TIMEOUT_MS)
    # Then each file's outcome: the ledger added, the repeated file unchanged.
    expect(ledger_row).to_have_attribute("data-state", "done", timeout=TIMEOUT_MS * 3)
    expect(ledger_row.locator(".file-note")).to_contain_text(re.compile(r"added \(\d+ chunks\)"))
    assert ledger_row.locator("progress").get_attribute("value") == "1"
    repeat_row = row("repeat.txt")
    expect(repeat_row).to_have_attribute("data-state", "skipped")
    expect(repeat_row.locator(".file-note")).to_have_text("unchanged (1 chunks)")
    expect(page.locator("#upload-status")).to_contain_text("ledger.txt: added")
    expect(page.locator("#documents li", has_text="ledger")).to_have_count(1)

    bad = tmp_path / "bad.txt"
    bad.write_bytes("café crème".encode("latin-1"))
    good = tmp_path / "good.txt"
    good.write_text("A perfectly readable note about lanterns.", encoding="utf-8")
    page.set_input_files("#files", [str(good), str(bad)])
    page.click("#upload-button")
    expect(row("bad.txt")).to_have_attribute("data-state", "failed", timeout=TIMEOUT_MS)
    expect(row("bad.txt")).to_contain_text("not UTF-8")
    expect(row("good.txt")).to_have_attribute("data-state", "failed")
    expect(row("good.txt")).to_contain_text("not written: bad.txt failed")
    expect(page.locator("#documents li", has_text="good")).to_have_count(0)


def test_markup_in_a_document_is_shown_as_text_and_never_runs(page, writable_url, tmp_path):
    hostile = tmp_path / "hostile.md"
    hostile.write_text(
        '---\ntitle: <img src=x onerror="window.pwned = 1">Quokka notes\n---\n\n'
        "The quokka census on Rottnest found <script>window.pwned = 2</script> "
        'eleven thousand quokkas <img src=x onerror="window.pwned = 3"> in the spring count.\n',
        encoding="utf-8",
    )
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(writable_url)
    page.fill("#api-key", API_KEY)
    page.set_input_files("#files", str(hostile))
    page.click("#upload-button")
    expect(page.locator("#upload-status")).to_contain_text("hostile.md: added")
    listed = page.locator("#documents li", has_text="Quokka notes")
    assert '<img src=x onerror="window.pwned = 1">' in listed.inner_text()
    turn = ask(page, "How many quokkas did the Rottnest census find?")
    answer = turn.locator(".answer-text").inner_text()
    assert "<script>" in answer and "onerror" in answer
    turn.locator("a.cite").first.click()
    expect(page.locator("#source-text mark.quote")).to_contain_text("<script>window.pwned = 2")
    listed.locator("button").click()
    page.locator("#source-title", has_text="Quokka notes").wait_for()
    page.wait_for_timeout(300)  # give any injected handler a chance to run
    assert page.evaluate("window.pwned") is None
    assert page.locator("#conversation img, #documents img, #source-panel img").count() == 0
    assert page.locator("#conversation script, #source-panel script").count() == 0
    assert dialogs == []


def test_phone_sized_window(browser, live_url, tmp_path):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(live_url)
        turn = ask(page, "What did Russia veto in March?")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        turn.locator("a.cite").first.click()
        mark = page.locator("#source-text mark.quote")
        mark.wait_for()
        box = page.locator("#source-panel").bounding_box()
        assert box is not None and box["width"] <= 375 and box["y"] < 740
        assert mark.is_visible()
        page.screenshot(path=str(tmp_path / "phone-citation.png"))
        page.click("#close-source")
        assert page.locator("#source-panel").is_hidden()
    finally:
        context.close()


def _sse(*events: tuple[str, dict]) -> str:
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def test_markers_split_across_deltas_and_error_events_are_handled(page, live_url):
    passage = {
        "rank": 1,
        "chunk_id": "c1",
        "doc_id": "d-1",
        "title": "T",
        "source": "t.txt",
        "start": 0,
        "end": 10,
        "text": "Alpha beta",
        "score": 1.0,
    }
    citation = {
        "marker": 1,
        "doc_id": "d-1",
        "title": "T",
        "source": "t.txt",
        "chunk_id": "c1",
        "start": 0,
        "end": 10,
        "quote": "Alpha beta",
    }
    done = {
        "question": "q",
        "text": "Alpha beta. [1] Gamma. [1]",
        "abstained": False,
        "query": "q",
        "support": 0.9,
        "backend": "test",
        "timings_ms": {"total_ms": 1.0},
        "claims": [],
        "fallback": None,
    }
    answers = [
        _sse(
            ("passages", {"passages": [passage]}),
            ("delta", {"text": "Alpha beta. ["}),
            ("delta", {"text": "1] Gamma. [1"}),
            ("delta", {"text": "]"}),
            ("citations", {"citations": [citation, citation]}),
            ("done", done),
        ),
        _sse(("error", {"error": {"code": "store_unavailable", "message": "Chroma is down"}})),
    ]
    page.route(
        "**/ask/stream",
        lambda route: route.fulfill(
            status=200, content_type="text/event-stream", body=answers.pop(0)
        ),
    )
    page.goto(live_url)
    turn = ask(page, "q")
    assert turn.locator(".answer-text").inner_text().split() == done["text"].split()
    assert turn.locator("a.cite").all_inner_texts() == ["[1]", "[1]"]
    page.fill("#question", "again")
    page.click("#ask-button")
    failed = page.locator("li.turn.assistant.failed")
    expect(failed.locator(".status")).to_have_text("Error: Chroma is down")
