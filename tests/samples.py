"""Files for loader and CLI tests: real PDFs written by hand, and the bad inputs of issue 2."""

from pathlib import Path


def make_pdf(lines: list[str], title: str = "") -> bytes:
    """A valid one-page PDF whose text objects hold `lines`; no lines gives a drawing only."""
    if lines:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
    else:
        ops = ["0.5 g", "72 72 200 200 re f"]
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Title (%s) >>" % title.encode("latin-1"),
    ]
    return pdf_of(objects, info=6)


def pdf_of(objects: list[bytes], info: int | None = None) -> bytes:
    """A PDF whose numbered objects are `objects` (1 = catalog, `info` the document info),
    with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R" % (len(objects) + 1)
    out += b" /Info %d 0 R" % info if info is not None else b""
    out += b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# name -> (file bytes, a fragment the error message must contain); the file is named `name`.
BAD_FILES: dict[str, tuple[bytes, str]] = {
    "notes.docx": (b"PK\x03\x04 a word document", "not a supported type"),
    "empty.txt": (b"  \n\n ", "empty"),
    "image.txt": (bytes(range(256)) * 8, "binary"),
    "latin1.txt": ("Caf\u00e9 cr\u00e8me, s'il vous pla\u00eet.".encode("latin-1"), "UTF-8"),
    "scan.pdf": (make_pdf([], title="A scan"), "no extractable text"),
    "broken.pdf": (make_pdf(["Half a document."])[:120], "not a readable PDF"),
}


def write_bad_file(folder: Path, name: str) -> Path:
    """Write one of BAD_FILES into `folder` and return its path."""
    path = folder / name
    path.write_bytes(BAD_FILES[name][0])
    return path
