"""index.split: chunks whose offsets round-trip and that the model never truncates."""

import itertools
import re

import pytest

from index.ingest import chunk_document
from index.split import content_id, document_id, split_document
from qa.text import split_sentences
from qa.types import Document

MODEL_LIMIT = 256  # word pieces MiniLM reads, the [CLS] and [SEP] tokens included


def model_tokens(embedder, text: str) -> int:
    return len(embedder.tokenizer(text, truncation=False)["input_ids"])


def check_chunks(document: Document, chunks, embedder) -> None:
    assert chunks, "no chunks"
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.doc_id == document.doc_id
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip() and chunk.text
        assert chunk.sentences, f"chunk {chunk.position} has no sentences"
        for start, end in chunk.sentences:
            assert chunk.start <= start < end <= chunk.end
            sentence = document.text[start:end]
            assert sentence == sentence.strip()
        assert model_tokens(embedder, chunk.text) <= MODEL_LIMIT
    # Together the chunks cover every word of the document, in order.
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(document.text) if not ch.isspace())


def test_every_sample_chunk_round_trips_and_fits_the_model(sample_pipeline):
    view = sample_pipeline.catalog.view()
    assert len(view.documents) == 2
    for document in view.documents.values():
        chunks = chunk_document(sample_pipeline, document)
        check_chunks(document, chunks, sample_pipeline.embedder)
        # What the catalog holds is exactly what splitting gives: same ids, spans, sentences.
        stored = [view.chunks[c] for c in view.by_doc[document.doc_id]]
        assert [(e.chunk_id, e.start, e.end, e.sentences) for e in stored] == [
            (c.chunk_id, c.start, c.end, c.sentences) for c in chunks
        ]
        assert all(len(e.vectors) == len(e.sentences) for e in stored)


def test_chunks_overlap_and_cut_at_sentence_boundaries(sample_pipeline):
    view = sample_pipeline.catalog.view()
    for document in view.documents.values():
        chunks = chunk_document(sample_pipeline, document)
        spans = split_sentences(document.text)
        starts, ends = {a for a, _ in spans}, {b for _, b in spans}
        for chunk in chunks:
            assert chunk.start in starts, document.text[chunk.start - 20 : chunk.start + 20]
            assert chunk.end in ends, document.text[chunk.end - 20 : chunk.end + 20]
        if document.source.startswith("004"):
            assert any(b.start < a.end for a, b in itertools.pairwise(chunks)), "no overlap"


def make_document(text: str, source: str = "synthetic.txt") -> Document:
    return Document(document_id(source), "Synthetic", source, text)


def test_long_run_on_text_is_cut_below_the_model_limit(embedder):
    # One "sentence" of ~3,000 words with no punctuation: only word boundaries remain.
    words = " ".join(f"word{i} antidisestablishmentarianism" for i in range(1500))
    document = make_document(words)
    chunks = split_document(document, embedder.count_tokens, 200, 40, MODEL_LIMIT - 2)
    check_chunks(document, chunks, embedder)
    assert len(chunks) > 10


def test_repeated_paragraphs_map_to_their_own_offsets(embedder):
    paragraph = "The same paragraph appears again. It has two sentences."
    text = "\n\n".join([paragraph] * 40)
    document = make_document(text)
    chunks = split_document(document, embedder.count_tokens, 64, 16, MODEL_LIMIT - 2)
    check_chunks(document, chunks, embedder)
    assert chunks[-1].end == len(text)


def test_chunk_ids_follow_content(embedder):
    text = "Alpha sentence one. Beta sentence two.\n\nGamma paragraph here. Delta ends it."
    first = split_document(make_document(text), embedder.count_tokens, 12, 0, 254)
    again = split_document(make_document(text), embedder.count_tokens, 12, 0, 254)
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    changed = split_document(
        make_document(text.replace("Delta", "Omega")), embedder.count_tokens, 12, 0, 254
    )
    assert first[0].chunk_id == changed[0].chunk_id
    assert first[-1].chunk_id != changed[-1].chunk_id
    elsewhere = split_document(make_document(text, "other.txt"), embedder.count_tokens, 12, 0, 254)
    assert not {c.chunk_id for c in first} & {c.chunk_id for c in elsewhere}


@pytest.mark.parametrize(
    ("source", "slug"),
    [
        ("000_844c59fd4eda60e2.txt", "000-844c59fd4eda60e2"),
        ("notes/Report Final.PDF", "notes-report-final"),
        ("...", "doc"),
        ("dir/sub/x.tar.gz", "dir-sub-x-tar"),
    ],
)
def test_document_id_is_a_readable_slug_and_a_hash(source, slug):
    doc_id = document_id(source)
    assert re.fullmatch(r"[a-z0-9-]+", doc_id)
    assert doc_id == f"{slug}-{content_id(source)[:6]}"
    assert document_id(source) == doc_id


def test_document_ids_differ_for_names_with_the_same_slug():
    names = ["Report Final.pdf", "report-final.pdf", "report_final.md", "REPORT FINAL.txt"]
    ids = [document_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("report-final-") for i in ids)


def test_document_id_is_bounded_in_length():
    assert len(document_id("a" * 500 + ".md")) <= 60 + 7


def test_no_chunk_of_a_multi_chunk_document_holds_only_its_title(embedder):
    # A title line, a Markdown heading and long paragraphs: each paragraph fills a chunk,
    # so without joining the title and the heading would be chunks of their own.
    body = " ".join(
        f"Sentence number {i} says something about harbours and ships." for i in range(30)
    )
    text = f"Harbour Report\n\n{body}\n\n## Second part\n\n{body}"
    document = Document(document_id("report.md"), "Harbour Report", "report.md", text)
    chunks = split_document(document, embedder.count_tokens, 200, 40, MODEL_LIMIT - 2)
    check_chunks(document, chunks, embedder)
    assert len(chunks) > 2
    for chunk in chunks:
        lines = [line for line in chunk.text.splitlines() if line.strip()]
        assert any(line.endswith(".") for line in lines), f"heading-only chunk {chunk.text!r}"
    assert chunks[0].start == 0 and chunks[0].text.startswith("Harbour Report\n\n")
