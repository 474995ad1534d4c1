"""Normalised text -> chunks at sentence boundaries, sized in the model's word pieces."""

import hashlib
import re
from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.text import split_sentences
from qa.types import Chunk, Document

# Paragraphs first, then lines, then sentence ends, then clauses, then words.
_SEPARATORS = ["\n\n", "\n", r"(?<=[.!?…])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", " ", ""]


def content_id(*parts: object) -> str:
    """A short id that changes exactly when the parts do."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8"))
    return digest.hexdigest()[:20]


def document_id(source: str) -> str:
    """A URL-safe id for a source name: readable slug plus a hash of the exact name."""
    stem = re.sub(r"\.[A-Za-z0-9]{1,8}$", "", source)
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:60].strip("-") or "doc"
    return f"{slug}-{content_id(source)[:6]}"


def split_document(
    document: Document,
    count_tokens: Callable[[str], int],
    chunk_tokens: int,
    overlap_tokens: int,
    max_tokens: int,
) -> list[Chunk]:
    """Chunks of at most `chunk_tokens` word pieces (never more than `max_tokens`), with
    `document.text[chunk.start:chunk.end] == chunk.text` and ids derived from content."""
    pieces = _split(document.text, 0, count_tokens, chunk_tokens, overlap_tokens, max_tokens)
    return [
        Chunk(
            chunk_id=content_id(document.doc_id, start, text),
            doc_id=document.doc_id,
            position=position,
            start=start,
            end=start + len(text),
            text=text,
            sentences=tuple(split_sentences(text, offset=start)),
        )
        for position, (start, text) in enumerate(pieces)
    ]


def _split(
    text: str,
    offset: int,
    count_tokens: Callable[[str], int],
    size: int,
    overlap: int,
    max_tokens: int,
) -> list[tuple[int, str]]:
    splitter = RecursiveCharacterTextSplitter(
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=size,
        chunk_overlap=min(overlap, size // 2),
        length_function=count_tokens,
        strip_whitespace=True,
    )
    pieces: list[tuple[int, str]] = []
    cursor = 0
    for piece in splitter.split_text(text):
        # Locate each piece after the previous one's start, so repeated text maps correctly.
        start = text.find(piece, cursor)
        if start < 0:
            start = text.find(piece)
        cursor = start + 1
        if count_tokens(piece) > max_tokens and size > 16:
            pieces.extend(_split(piece, offset + start, count_tokens, size // 2, 0, max_tokens))
        else:
            pieces.append((offset + start, piece))
    return pieces
