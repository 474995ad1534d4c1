"""Pathological files for the loader and upload tests, generated rather than stored."""

import zlib

from tests.samples import pdf_of

# 20,000 paragraphs in 160 KB: the old loader took minutes.
WIDE_HTML = ("<html><body>" + "<p>x</p>" * 20_000 + "</body></html>").encode()
# The standard parser rescans the unterminated tag at every later "<": quadratic, so only
# the time budget ends it.
RUNAWAY_HTML = ("<p>" + "<a" * 400_000).encode()


def stream(data: bytes, compressed: bool = False) -> bytes:
    extra = b" /Filter /FlateDecode" if compressed else b""
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pages_pdf(pages: int, content: bytes) -> bytes:
    """`pages` pages that all draw the one content stream `content`."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 3 0 R >>"
    )
    return pdf_of(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            content,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            *[page] * pages,
        ]
    )


TEXT_PAGE = stream(b"BT /F1 12 Tf 72 720 Td (The keeper counted gulls.) Tj ET")


def zlib_bomb(megabytes: int) -> bytes:
    """A content stream of `megabytes` MB of spaces, compressed to about a thousandth."""
    packer = zlib.compressobj(9)
    block = b" " * 1_000_000
    packed = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    return stream(packed, compressed=True)
