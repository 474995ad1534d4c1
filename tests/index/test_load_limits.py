"""Pathological files load, or are refused with one clear line, within the parse budget."""

import pytest

from index.ingest import plan_paths
from index.load import load_bytes
from index.normalize import normalize_text
from qa.errors import QAError, UnreadableDocument, UnsupportedFileType
from qa.settings import IndexSettings
from tests.index.pathological import RUNAWAY_HTML, TEXT_PAGE, WIDE_HTML, pages_pdf, zlib_bomb

# A hang guard only: the old loader took minutes on these files, or never finished.
pytestmark = pytest.mark.timeout(120)


def assert_clear(exc: pytest.ExceptionInfo[QAError], *fragments: str) -> None:
    message = exc.value.message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_20000_paragraphs_load_as_separate_lines():
    loaded = load_bytes("wide.html", WIDE_HTML)
    assert normalize_text(loaded.text) == "\n\n".join(["x"] * 20_000)


def test_8000_nested_divs_load():
    html = "<html><body>" + "<div>level" * 8_000 + "</div>" * 8_000 + "</body></html>"
    loaded = load_bytes("deep.html", html.encode())
    assert loaded.text.split() == ["level"] * 8_000


def test_a_one_megabyte_nested_page_loads():
    words = 70_000
    html = "<html><body>" + "<div><span>word " * words + "</span></div>" * words
    assert len(html) > 1_100_000
    loaded = load_bytes("nested.html", (html + "</body></html>").encode())
    assert loaded.text.split() == ["word"] * words


def test_an_html_page_past_the_time_budget_is_refused():
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("runaway.html", RUNAWAY_HTML, IndexSettings(parse_seconds=0.5))
    assert_clear(exc, "runaway.html", "0.5 s", "QA_INDEX__PARSE_SECONDS")


@pytest.mark.parametrize(
    "markdown",
    ["[" * 300_000, "[a](x" * 200_000, "![a](" * 200_000],
    ids=["open-brackets", "unclosed-links", "unclosed-images"],
)
def test_markdown_with_unclosed_brackets_loads_whole(markdown):
    loaded = load_bytes("brackets.md", markdown.encode())
    assert len(loaded.text) == len(markdown)


def test_text_over_the_character_limit_is_refused():
    limits = IndexSettings(max_chars=1000)
    for name, data in (
        ("long.txt", b"word " * 300),
        ("long.html", b"<p>word</p>" * 300),
        ("long.md", b"word " * 300),
    ):
        with pytest.raises(UnreadableDocument) as exc:
            load_bytes(name, data, limits)
        assert_clear(exc, name, "1,000 characters", "QA_INDEX__MAX_CHARS")


def test_a_pdf_with_too_many_pages_is_refused_before_reading_them():
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("pages.pdf", pages_pdf(2_001, TEXT_PAGE))
    assert_clear(exc, "pages.pdf", "2,001 pages", "2,000", "QA_INDEX__MAX_PDF_PAGES")
    three = pages_pdf(3, TEXT_PAGE)
    with pytest.raises(UnreadableDocument, match="3 pages is over the 2 page limit"):
        load_bytes("three.pdf", three, IndexSettings(max_pdf_pages=2))
    assert load_bytes("three.pdf", three, IndexSettings(max_pdf_pages=3)).text.count("gulls") == 3


def test_a_pdf_past_the_time_budget_is_refused_part_way():
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("slow.pdf", pages_pdf(1_000, TEXT_PAGE), IndexSettings(parse_seconds=0.05))
    assert_clear(exc, "slow.pdf", "QA_INDEX__PARSE_SECONDS")


def test_a_pdf_whose_text_is_over_the_character_limit_is_refused():
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("chatty.pdf", pages_pdf(50, TEXT_PAGE), IndexSettings(max_chars=500))
    assert_clear(exc, "chatty.pdf", "QA_INDEX__MAX_CHARS")


def test_a_pdf_decompression_bomb_is_refused():
    data = pages_pdf(1, zlib_bomb(100))
    assert len(data) < 200_000
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("bomb.pdf", data)
    assert_clear(exc, "bomb.pdf", "not a readable PDF")


def test_a_zip_renamed_pdf_is_refused():
    data = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 40
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("archive.pdf", data)
    assert_clear(exc, "archive.pdf", "not a PDF", "ZIP")


@pytest.mark.parametrize(
    ("name", "data", "error"),
    [
        ("evil\x1b[31m.txt", b"  ", UnreadableDocument),
        ("two\nlines.txt", b"\x00\x01binary", UnreadableDocument),
        ("bell\x07.docx", b"PK", UnsupportedFileType),
    ],
)
def test_control_characters_in_names_are_escaped_in_errors(name, data, error):
    with pytest.raises(error) as exc:
        load_bytes(name, data)
    message = exc.value.message
    assert "\n" not in message and not any(ord(c) < 32 or c == "\x7f" for c in message)
    assert name.translate({c: f"\\x{c:02x}" for c in range(32)}) in message


def test_qa_index_applies_the_limits_it_is_given(tmp_path):
    (tmp_path / "long.txt").write_text("word " * 300, encoding="utf-8")
    (tmp_path / "line\x1bfeed.txt").write_text("  ", encoding="utf-8")
    with pytest.raises(UnreadableDocument) as exc:
        plan_paths([tmp_path / "long.txt"], 10**6, limits=IndexSettings(max_chars=1000))
    assert_clear(exc, "long.txt", "QA_INDEX__MAX_CHARS")
    plan = plan_paths([tmp_path], 10**6, keep_going=True, limits=IndexSettings(max_chars=1000))
    assert plan.documents == []
    assert len(plan.failed) == 2
    assert all("\x1b" not in message for message in plan.failed)
