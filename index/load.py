"""Files -> (title, author, text): loaders for .txt, .md, .html and .pdf, with clear refusals."""

import codecs
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from index.budget import Budget, shown_name
from index.html import parse_html
from qa.errors import UnreadableDocument, UnsupportedFileType
from qa.settings import IndexSettings

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
META_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class Loaded:
    """A file's text before normalisation, with whatever title and author it declares."""

    text: str
    title: str = ""
    author: str = ""


def check_type(name: str) -> str:
    """The lower-case suffix of `name`, or UnsupportedFileType."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        shown = shown_name(suffix) or "files without an extension"
        raise UnsupportedFileType(
            f"{shown_name(name)}: {shown} is not a supported type "
            f"(supported: {', '.join(SUPPORTED)})"
        )
    return suffix


def load_bytes(name: str, data: bytes, limits: IndexSettings | None = None) -> Loaded:
    """Extract the text of a file called `name` from its bytes, within the time and size
    budget of `limits` (UnreadableDocument when it is spent)."""
    suffix = check_type(name)
    budget = Budget(name, limits or IndexSettings())
    name = budget.name
    if not data.strip():
        raise UnreadableDocument(f"{name}: the file is empty")
    if suffix == ".pdf":
        loaded = _load_pdf(name, data, budget)
    else:
        text = _decode(name, data)
        budget.check_chars(len(text))
        if suffix in (".html", ".htm"):
            loaded = _load_html(text, budget)
        elif suffix in (".md", ".markdown"):
            loaded = _load_markdown(text, budget)
        else:
            loaded = Loaded(text)
    budget.check()
    return loaded


def read_sidecar(path: Path) -> dict[str, str]:
    """Title and author from `<file>.meta.json` beside the file, if there is one."""
    meta = path.with_name(path.name + META_SUFFIX)
    if not meta.is_file():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(f"{shown_name(str(meta))}: not valid JSON ({exc})") from exc
    return {k: str(data[k]) for k in ("title", "author") if data.get(k)}


def _wide_encoding(head: bytes) -> str | None:
    """ "UTF-16" or "UTF-32" when the bytes look like text in one of them, else None."""
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "UTF-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "UTF-16"
    # Without a mark: mostly-ASCII UTF-16 has a zero in every other byte, and only there.
    pairs = head[: len(head) // 2 * 2]
    for zeros, others in ((pairs[1::2], pairs[0::2]), (pairs[0::2], pairs[1::2])):
        if len(zeros) >= 8 and zeros.count(0) >= 0.9 * len(zeros) and 0 not in others:
            return "UTF-16"
    return None


def _decode(name: str, data: bytes) -> str:
    if wide := _wide_encoding(data[:8192]):
        raise UnreadableDocument(f"{name}: {wide} text, not UTF-8; convert it to UTF-8 first")
    if b"\x00" in data[:8192]:
        raise UnreadableDocument(f"{name}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocument(
            f"{name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it to UTF-8 first"
        ) from exc


def _load_html(html: str, budget: Budget) -> Loaded:
    title, author, text = parse_html(html, budget)
    return Loaded(text, title, author)


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


# A link's target may hold one level of balanced brackets, as in javascript:alert('x') or
# /wiki/Foo_(bar). Link text stops at any bracket and possessive repeats never backtrack, so
# a failed match reads only up to the next bracket: linear even on "[[[[" or "[a](" repeated.
_LINK_TARGET = r"\((?:[^()\n]++|\([^()\n]*+\))*+\)"
_IMAGE = re.compile(r"!\[([^\[\]]*+)\]" + _LINK_TARGET)
_LINK = re.compile(r"\[([^\[\]]++)\]" + _LINK_TARGET)


def _load_markdown(text: str, budget: Budget) -> Loaded:
    meta: dict[str, str] = {}
    text = text.replace("\r\n", "\n")
    if match := _FRONT_MATTER.match(text):
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    heading = re.search(r"^\s{0,3}#\s+(.+)$", text, flags=re.M)
    title = meta.get("title") or (heading.group(1).strip() if heading else "")
    for pattern, replacement, flags in (
        (r"^```.*$", "", re.M),
        (_IMAGE, r"\1", 0),
        (_LINK, r"\1", 0),
        (r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", re.M),
        (r"(\*\*|__|`)", "", 0),
    ):
        text = re.sub(pattern, replacement, text, flags=flags)
        budget.check()
    return Loaded(text, title, meta.get("author", ""))


def _load_pdf(name: str, data: bytes, budget: Budget) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    # pypdf logs its repairs ("EOF marker not found") to stderr; our error says it in one line.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    if b"%PDF-" not in data[:1024]:
        kind = "a ZIP archive" if data.startswith(b"PK\x03\x04") else "another format"
        raise UnreadableDocument(f"{name}: not a PDF (no %PDF- header; looks like {kind})")
    pages: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data))
        budget.check_pages(len(reader.pages))
        chars = 0
        for page in reader.pages:
            # pypdf bounds decompression and parsing work itself (LimitReachedError); the
            # visitor lets the time budget stop a long page between two of its operators.
            text = page.extract_text(visitor_operand_before=lambda *_: budget.check()) or ""
            chars += len(text)
            budget.check_chars(chars)
            pages.append(text)
        info: Any = reader.metadata or {}
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise UnreadableDocument(f"{name}: not a readable PDF ({reason[:200]})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise UnreadableDocument(
            f"{name}: the PDF has no extractable text (a scanned PDF needs OCR first)"
        )
    return Loaded(text, str(info.get("/Title") or ""), str(info.get("/Author") or ""))
