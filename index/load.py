"""Files -> (title, author, text): loaders for .txt, .md, .html and .pdf, with clear refusals."""

import codecs
import io
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UnreadableDocument, UnsupportedFileType

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
        shown = suffix or "files without an extension"
        raise UnsupportedFileType(
            f"{name}: {shown} is not a supported type (supported: {', '.join(SUPPORTED)})"
        )
    return suffix


def load_bytes(name: str, data: bytes) -> Loaded:
    """Extract the text of a file called `name` from its bytes."""
    suffix = check_type(name)
    if not data.strip():
        raise UnreadableDocument(f"{name}: the file is empty")
    if suffix == ".pdf":
        return _load_pdf(name, data)
    text = _decode(name, data)
    if suffix in (".html", ".htm"):
        return _load_html(text)
    if suffix in (".md", ".markdown"):
        return _load_markdown(text)
    return Loaded(text)


def read_sidecar(path: Path) -> dict[str, str]:
    """Title and author from `<file>.meta.json` beside the file, if there is one."""
    meta = path.with_name(path.name + META_SUFFIX)
    if not meta.is_file():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise UnreadableDocument(f"{meta}: not valid JSON ({exc})") from exc
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


_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "svg",
    "iframe",
    "button",
)
_BLOCK_TAGS = (
    "p",
    "div",
    "section",
    "article",
    "main",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "table",
    "tr",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "dd",
    "dt",
    "br",
    "hr",
    "td",
    "th",
)


def _load_html(html: str) -> Loaded:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    author_tag = soup.find("meta", attrs={"name": "author"})
    author = str(author_tag.get("content", "")) if author_tag else ""
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    if soup.head:
        soup.head.decompose()
    if not title and (h1 := soup.find("h1")):
        title = h1.get_text(" ", strip=True)
    root = soup.find("main") or soup.find("article") or soup.body or soup
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    return Loaded(root.get_text(), title, author)


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def _load_markdown(text: str) -> Loaded:
    meta: dict[str, str] = {}
    text = text.replace("\r\n", "\n")
    if match := _FRONT_MATTER.match(text):
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            meta[key.strip().lower()] = value.strip().strip("\"'")
        text = text[match.end() :]
    heading = re.search(r"^\s{0,3}#\s+(.+)$", text, flags=re.M)
    title = meta.get("title") or (heading.group(1).strip() if heading else "")
    text = re.sub(r"^```.*$", "", text, flags=re.M)
    text = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|`)", "", text)
    return Loaded(text, title, meta.get("author", ""))


def _load_pdf(name: str, data: bytes) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs its repairs ("EOF marker not found") to stderr; our error says it in one line.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise UnreadableDocument(f"{name}: not a readable PDF ({exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise UnreadableDocument(
            f"{name}: the PDF has no extractable text (a scanned PDF needs OCR first)"
        )
    return Loaded(text, str(info.get("/Title") or ""), str(info.get("/Author") or ""))
