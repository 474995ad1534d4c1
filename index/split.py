"""Normalised text -> chunks at sentence boundaries, sized in the model's word pieces."""

import hashlib
import re
from collections.abc import Callable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from qa.text import split_sentences
from qa.types import Chunk, Document

_SPACES = re.compile(r"\s*")
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
    pieces = _join_headings(document.text, pieces, count_tokens, max_tokens)
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


def _is_heading_only(piece: str) -> bool:
    """A piece of nothing but short lines without sentence punctuation (a title, headings)."""
    lines = [line.strip() for line in piece.splitlines() if line.strip()]
    return bool(lines) and all(
        line.startswith("#") or (len(line.split()) <= 12 and line[-1] not in ".!?…\"'”’)")
        for line in lines
    )


def _join_headings(
    text: str, pieces: list[tuple[int, str]], count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, str]]:
    """Glue a heading-only piece to the piece after it, so no chunk holds only a title.

    The joined chunk is the document text from the heading to the next piece's end, so
    offsets stay exact; it is kept apart only when the two together would not fit the model.
    """
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(pieces):
        start, piece = pieces[i]
        if i + 1 < len(pieces) and _is_heading_only(piece):
            next_start, next_piece = pieces[i + 1]
            joined = text[start : max(start + len(piece), next_start + len(next_piece))]
            if count_tokens(joined) <= max_tokens:
                pieces[i + 1] = (start, joined)
                i += 1
                continue
        out.append((start, piece))
        i += 1
    return out


def _split(
    text: str,
    offset: int,
    count_tokens: Callable[[str], int],
    size: int,
    overlap: int,
    max_tokens: int,
) -> list[tuple[int, str]]:
    overlap = min(overlap, size // 2)
    splitter = RecursiveCharacterTextSplitter(
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        chunk_size=size,
        chunk_overlap=overlap,
        length_function=count_tokens,
        strip_whitespace=True,
    )
    pieces: list[tuple[int, str]] = []
    earliest, end = 0, 0
    for piece in splitter.split_text(text):
        start = _locate(text, piece, earliest, end, overlap, count_tokens)
        earliest, end = start + 1, start + len(piece)
        if count_tokens(piece) > max_tokens and size > 16:
            pieces.extend(_split(piece, offset + start, count_tokens, size // 2, 0, max_tokens))
        else:
            pieces.append((offset + start, piece))
    return pieces


def _locate(
    text: str, piece: str, earliest: int, end: int, overlap: int, count_tokens: Callable[[str], int]
) -> int:
    """Where `piece` starts, given the previous piece's start (`earliest` - 1) and `end`.

    A piece starts after the previous one's start, no later than the first word after its
    end, and overlaps it by at most `overlap` word pieces; checking all three maps repeated
    text to the right copy.
    """
    latest = _SPACES.match(text, end).end() if end else 0  # type: ignore[union-attr]
    start = text.find(piece, earliest)
    while 0 <= start <= latest:
        if start >= end or count_tokens(text[start:end]) <= overlap:
            return start
        start = text.find(piece, start + 1)
    start = text.find(piece, earliest)
    return start if start >= 0 else text.find(piece)
