"""HTML -> (title, author, text) in one linear pass over the standard library's parser.

A tree (BeautifulSoup) edited tag by tag was quadratic on wide or deep pages; this reads
the tags as a stream, keeping one stack of open elements and the text of the main region.
The standard parser still rescans an unterminated tag or comment at every later `<` (on
this Python), so every event checks the time budget: such a page is refused, not a hang.
"""

from collections import Counter
from html.parser import HTMLParser

from index.budget import Budget

# Elements whose content is not the document's text.
DROP_TAGS = frozenset(
    "head script style noscript template nav header footer aside form svg iframe button".split()
)
# Elements that end a line of text, so sentences on either side do not run together.
BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol table tr blockquote pre figure "
    "figcaption dd dt br hr td th".split()
)
VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
# The first of these (outside dropped content) holds the text; else all the visible text.
ROOT_TAGS = ("main", "article", "body")
FEED_CHARS = 16_384  # checked against the budget between pieces of this size


def parse_html(html: str, budget: Budget) -> tuple[str, str, str]:
    """The page's (title, author, text): the text of its <main>, else <article>, else <body>."""
    parser = _TextParser(budget)
    for start in range(0, len(html), FEED_CHARS):
        parser.feed(html[start : start + FEED_CHARS])
        budget.check()
    parser.close()
    return parser.result()


class _TextParser(HTMLParser):
    def __init__(self, budget: Budget) -> None:
        super().__init__(convert_charrefs=True)
        self.budget = budget
        self.open: list[str] = []  # open elements, innermost last
        self.open_count: Counter[str] = Counter()
        self.dropping = 0  # open elements of DROP_TAGS
        self.pieces: list[str] = []  # visible text, in order
        self.chars = 0
        # root tag -> [first piece, end piece, depth of its element]
        self.regions: dict[str, list[int]] = {}
        self.title: list[str] | None = None  # the first <title>'s text while it is read
        self.title_text = ""
        self.h1: list[str] | None = None
        self.h1_text = ""
        self.author = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.budget.check()
        if tag == "meta" and not self.author:
            values = dict(attrs)
            if (values.get("name") or "").lower() == "author":
                self.author = values.get("content") or ""
        if tag == "title" and self.title is None and not self.title_text:
            self.title = []
        if tag in BLOCK_TAGS:
            self._add("\n\n")
        if tag in VOID_TAGS:
            return
        self.open.append(tag)
        self.open_count[tag] += 1
        if tag in DROP_TAGS:
            self.dropping += 1
        elif not self.dropping:
            if tag in ROOT_TAGS and tag not in self.regions:
                self.regions[tag] = [len(self.pieces), -1, len(self.open)]
            if tag == "h1" and self.h1 is None and not self.h1_text:
                self.h1 = []

    def handle_endtag(self, tag: str) -> None:
        self.budget.check()
        # An end tag closes its element and any left open inside it; a stray one is ignored.
        if tag in VOID_TAGS or not self.open_count[tag]:
            if tag in BLOCK_TAGS:
                self._add("\n\n")
            return
        while self.open:
            closed = self.open.pop()
            self.open_count[closed] -= 1
            self._close(closed)
            if closed == tag:
                break

    def handle_data(self, data: str) -> None:
        self.budget.check()
        if self.title is not None:
            self.title.append(data)
        if self.dropping:
            return
        if self.h1 is not None:
            self.h1.append(data)
        self._add(data)

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA[") and not self.dropping:
            self._add(data[6:])

    def result(self) -> tuple[str, str, str]:
        while self.open:
            closed = self.open.pop()
            self._close(closed)
        pieces = self.pieces
        for tag in ROOT_TAGS:
            if tag in self.regions:
                first, end, _ = self.regions[tag]
                pieces = pieces[first:end]
                break
        return self.title_text or self.h1_text, self.author, "".join(pieces)

    def _close(self, tag: str) -> None:
        if tag in DROP_TAGS:
            self.dropping -= 1
        if tag == "title" and self.title is not None:
            self.title_text = " ".join("".join(self.title).split())
            self.title = None
        if self.dropping:
            return
        if tag == "h1" and self.h1 is not None:
            self.h1_text = " ".join("".join(self.h1).split())
            self.h1 = None
        if tag in BLOCK_TAGS:
            self._add("\n\n")
        region = self.regions.get(tag)
        if region is not None and region[1] < 0 and region[2] == len(self.open) + 1:
            region[1] = len(self.pieces)

    def _add(self, text: str) -> None:
        self.pieces.append(text)
        self.chars += len(text)
        self.budget.check_chars(self.chars)
