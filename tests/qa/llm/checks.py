"""What every verified answer must satisfy, whichever model wrote it."""

from qa.pipeline import Pipeline
from qa.types import Answer


def assert_citations_verified(pipeline: Pipeline, answer: Answer) -> None:
    """Every marker points at a passage whose text holds the quote, found at its offsets."""
    assert answer.text
    for citation in answer.citations:
        assert 1 <= citation.marker <= len(answer.passages)
        passage = answer.passages[citation.marker - 1]
        assert citation.chunk_id == passage.chunk_id
        assert citation.quote in passage.text
        document = pipeline.document(citation.doc_id)
        assert document.text[citation.start : citation.end] == citation.quote
        assert f"[{citation.marker}]" in answer.text
    kept = [c for c in answer.claims if c.supported]
    assert all(c.markers for c in kept)
    if not answer.abstained:
        assert answer.citations, "a non-abstaining answer must cite something"
