"""Loaders for .txt, .md, .html and .pdf, and the clear refusals of bad input."""

import shutil

import pytest

from index.ingest import SAMPLE_CORPUS, build_document, index_documents, plan_paths
from index.load import load_bytes
from qa.errors import InputError, UnreadableDocument, UnsupportedFileType
from tests.samples import BAD_FILES, make_pdf, write_bad_file

MARKDOWN = """---
title: "Harbour Notes"
author: Ada Quay
---
# A heading that is not the title

Tides at the **harbour** rose by [two metres](https://example.com/tides) on Monday.

- The ferry ran late.
- `code` stays as text.
"""

HTML = """<!doctype html>
<html><head><title>Lighthouse Log</title><meta name="author" content="Ben Lamp">
<style>body { color: red; } .secret-style { display: none }</style>
<script>var secretScript = "tracking";</script></head>
<body><nav>Home | About | Contact</nav>
<main><h1>Night of the storm</h1>
<p>The lamp burned for <b>nine</b> hours.</p><p>Two ships passed the point safely.</p>
<script>alert("inline secret")</script></main>
<footer>Copyright footer text</footer></body></html>
"""


def test_txt_keeps_its_text_and_is_titled_by_file_name(tmp_path):
    path = tmp_path / "storm_report-2024.txt"
    path.write_text("\ufeffThe storm passed at night.\r\nNo ships were lost.\n", encoding="utf-8")
    plan = plan_paths([path], 10**6)
    (doc,) = plan.documents
    assert doc.text == "The storm passed at night.\nNo ships were lost."
    assert doc.title == "storm report 2024"
    assert doc.source == "storm_report-2024.txt"


def test_sidecar_metadata_gives_title_and_author(tmp_path):
    shutil.copy(SAMPLE_CORPUS / "000_844c59fd4eda60e2.txt", tmp_path)
    shutil.copy(SAMPLE_CORPUS / "000_844c59fd4eda60e2.txt.meta.json", tmp_path)
    (doc,) = plan_paths([tmp_path], 10**8).documents
    assert doc.title.startswith("Russia–North Korea defence pact")
    assert doc.author.startswith("Sokvy Rim")


def test_markdown_front_matter_title_and_plain_text():
    loaded = load_bytes("notes.md", MARKDOWN.encode())
    doc = build_document("notes.md", loaded)
    assert doc.title == "Harbour Notes"
    assert doc.author == "Ada Quay"
    assert "Tides at the harbour rose by two metres on Monday." in doc.text
    assert "The ferry ran late." in doc.text
    for markup in ("---", "**", "](", "https://", "`", "# ", "- The"):
        assert markup not in doc.text
    assert "title:" not in doc.text


def test_markdown_without_front_matter_takes_the_first_heading():
    loaded = load_bytes("x.md", b"Intro line.\n\n# Real Title\n\nBody text.\n")
    assert loaded.title == "Real Title"


@pytest.mark.parametrize(
    ("markdown", "kept"),
    [
        ("Do not [click](javascript:alert('x')) here.", "Do not click here."),
        ("See [Foo](https://en.wikipedia.org/wiki/Foo_(bar)) now.", "See Foo now."),
        ('A ![chart](img/a_(1).png) and [b](u "title").', "A chart and b."),
        ("Two [a](x) and [b](y(z)) links.", "Two a and b links."),
    ],
)
def test_markdown_links_keep_their_text_when_the_target_has_brackets(markdown, kept):
    assert load_bytes("links.md", markdown.encode()).text == kept


def test_html_main_text_without_scripts_styles_or_navigation():
    doc = build_document("log.html", load_bytes("log.html", HTML.encode()))
    assert doc.title == "Lighthouse Log"
    assert doc.author == "Ben Lamp"
    assert "The lamp burned for nine hours." in doc.text
    assert "Two ships passed the point safely." in doc.text
    assert "Night of the storm" in doc.text
    for hidden in ("secret", "color", "tracking", "Home | About", "Copyright", "<", ">"):
        assert hidden not in doc.text
    # Block elements become separate lines, so sentences do not run together.
    assert "hours.\n\nTwo ships" in doc.text


def test_pdf_text_and_title():
    data = make_pdf(
        ["The keeper counted 412 gulls on Tuesday.", "Fog (thick) lifted at noon."],
        title="Gull Census",
    )
    doc = build_document("census.pdf", load_bytes("census.pdf", data))
    assert doc.title == "Gull Census"
    assert "The keeper counted 412 gulls on Tuesday." in doc.text
    assert "Fog (thick) lifted at noon." in doc.text


def test_every_loader_indexes_and_answers(pipeline_factory, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    (folder / "log.html").write_text(HTML, encoding="utf-8")
    (folder / "census.pdf").write_bytes(
        make_pdf(["The keeper counted 412 gulls on Tuesday."], title="Gull Census")
    )
    (folder / "plain.txt").write_text("The harbour master retired in May.", encoding="utf-8")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n")
    plan = plan_paths([folder], 10**6)
    assert sorted(d.source for d in plan.documents) == [
        "census.pdf",
        "log.html",
        "notes.md",
        "plain.txt",
    ]
    assert plan.skipped == [str(folder / "picture.png")]
    pipeline = pipeline_factory()
    results = index_documents(pipeline, plan.documents)
    assert all(r.status == "added" and r.chunks >= 1 for r in results)
    answer = pipeline.ask("How many gulls did the keeper count?")
    assert answer.passages[0].source == "census.pdf"
    assert not answer.abstained
    assert answer.citations[0].quote == "The keeper counted 412 gulls on Tuesday."


@pytest.fixture
def indexed(pipeline_factory, tmp_path):
    """A pipeline with one small document indexed, and a function that snapshots the index."""
    pipeline = pipeline_factory()
    good = tmp_path / "good"
    good.mkdir()
    (good / "keeper.txt").write_text("The keeper counted 412 gulls on Tuesday.", encoding="utf-8")
    index_documents(pipeline, plan_paths([good], 10**6).documents)

    def state():
        view = pipeline.catalog.view()
        return pipeline.store.ids(), set(view.chunks), [d.doc_id for d in pipeline.documents()]

    return pipeline, state


def index_paths(pipeline, paths):
    """What `qa index` does: check every file, then write."""
    index_documents(pipeline, plan_paths(paths, 10**6).documents)


def assert_one_line_naming(exc: pytest.ExceptionInfo, name: str, fragment: str) -> None:
    message = exc.value.message
    assert "\n" not in message
    assert name in message
    assert fragment in message


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_and_the_index_is_unchanged(indexed, tmp_path, name):
    pipeline, state = indexed
    before = state()
    path = write_bad_file(tmp_path, name)
    expected = UnsupportedFileType if name.endswith(".docx") else UnreadableDocument
    with pytest.raises(expected) as exc:
        index_paths(pipeline, [path])
    assert_one_line_naming(exc, name, BAD_FILES[name][1])
    assert state() == before


def test_one_bad_file_in_a_folder_stops_the_run_before_any_write(indexed, tmp_path):
    pipeline, state = indexed
    before = state()
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a_good.txt").write_text("A perfectly fine document.", encoding="utf-8")
    write_bad_file(folder, "latin1.txt")
    with pytest.raises(UnreadableDocument) as exc:
        index_paths(pipeline, [folder])
    assert_one_line_naming(exc, "latin1.txt", "UTF-8")
    assert state() == before
    # --keep-going reports the bad file and indexes the rest.
    plan = plan_paths([folder], 10**6, keep_going=True)
    assert [d.source for d in plan.documents] == ["a_good.txt"]
    assert len(plan.failed) == 1 and "latin1.txt" in plan.failed[0]


def test_missing_path_is_refused(indexed, tmp_path):
    pipeline, state = indexed
    before = state()
    missing = tmp_path / "nowhere" / "report.txt"
    with pytest.raises(InputError) as exc:
        index_paths(pipeline, [missing])
    assert_one_line_naming(exc, str(missing), "no such file")
    assert state() == before


def test_folder_without_supported_files_is_refused(tmp_path):
    (tmp_path / "a.png").write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match="no supported files"):
        plan_paths([tmp_path], 10**6)


def test_file_over_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    with pytest.raises(UnreadableDocument) as exc:
        plan_paths([path], max_bytes=1000)
    assert_one_line_naming(exc, "big.txt", "QA_INDEX__MAX_FILE_MB")


def test_text_that_normalises_to_nothing_is_refused():
    loaded = load_bytes("blank.txt", "\u200b\u00ad\u200b\n".encode())
    with pytest.raises(UnreadableDocument, match=r"blank\.txt: no text left"):
        build_document("blank.txt", loaded)
