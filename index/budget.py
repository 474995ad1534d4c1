"""A time and size budget per file being loaded, checked by the loaders as they go."""

import time
from dataclasses import dataclass, field

from qa.errors import UnreadableDocument
from qa.settings import IndexSettings

_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 0x7F)}


def shown_name(name: str) -> str:
    """`name` with control characters escaped, safe to print on one line."""
    return name.translate(_CONTROL)


@dataclass
class Budget:
    """The limits of one file's parse: a deadline, most characters and most PDF pages.

    Loaders call `check()` inside their loops; a parse that runs past the deadline stops
    there with a one-line UnreadableDocument, so no file can hang a run.
    """

    name: str
    limits: IndexSettings
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.name = shown_name(self.name)
        self.deadline = time.monotonic() + self.limits.parse_seconds

    def check(self) -> None:
        """Refuse the file once its time is up."""
        if time.monotonic() > self.deadline:
            raise UnreadableDocument(
                f"{self.name}: not read within the {self.limits.parse_seconds:g} s budget "
                "per file (QA_INDEX__PARSE_SECONDS); simplify or split the file"
            )

    def check_chars(self, count: int) -> None:
        """Refuse the file once its text is longer than the limit."""
        if count > self.limits.max_chars:
            raise UnreadableDocument(
                f"{self.name}: more than {self.limits.max_chars:,} characters of text "
                "(QA_INDEX__MAX_CHARS); split the file"
            )

    def check_pages(self, count: int) -> None:
        """Refuse a PDF with more pages than the limit, before reading any of them."""
        if count > self.limits.max_pdf_pages:
            raise UnreadableDocument(
                f"{self.name}: {count:,} pages is over the {self.limits.max_pdf_pages:,} page "
                "limit (QA_INDEX__MAX_PDF_PAGES); split the PDF"
            )
