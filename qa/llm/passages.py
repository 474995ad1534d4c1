"""What the reader is shown: each passage cut to its best sentences, numbered, fenced as data.

Reading the prompt is most of a local model's time, so the passages are cut to their best
sentences and laid out with as few tokens of markup as keep them fenced and numbered.
"""

from dataclasses import replace

from qa.compose import AnswerContext, score_sentences
from qa.prompts import load_prompt
from qa.settings import LLMSettings
from qa.types import Passage

# However far the scores fall, a budgeted prompt keeps at least this many sentences.
MIN_PROMPT_SENTENCES = 3


def prompt_texts(context: AnswerContext, keep: int, budget: int = 0, gap: float = 0.0) -> list[str]:
    """Each passage cut to its best sentences for the question, in document order.

    With a `budget`, the `budget` best sentences across all the passages are kept (a passage
    with none of them gets ""), less those scoring more than `gap` below the best (beyond the
    first MIN_PROMPT_SENTENCES); without one, each passage keeps its `keep` best, and 0 keeps
    whole passages. A shorter prompt is read faster (prompt reading is most of a local model's
    time); a gap between kept sentences shows as " … ".
    """
    if keep == 0 and budget == 0:
        return [p.text for p in context.passages]
    ranked = [
        c
        for c in score_sentences(context)
        if c.marker <= len(context.passages)
        and c.passage.chunk_id == context.passages[c.marker - 1].chunk_id
    ]
    best = sorted(ranked, key=lambda c: c.score, reverse=True)
    if budget:
        chosen = [
            c
            for i, c in enumerate(best[:budget])
            if not gap or i < MIN_PROMPT_SENTENCES or c.score >= best[0].score - gap
        ]
    else:
        per: dict[int, int] = {}
        chosen = []
        for c in best:
            if per.get(c.marker, 0) < keep:
                per[c.marker] = per.get(c.marker, 0) + 1
                chosen.append(c)
    out = []
    for marker, passage in enumerate(context.passages, start=1):
        mine = sorted((c for c in chosen if c.marker == marker), key=lambda c: c.start)
        if not mine:
            out.append("" if budget else passage.text[:400])
            continue
        pieces, last_end = [], None
        for c in mine:
            if (
                last_end is not None
                and passage.text[last_end - passage.start : c.start - passage.start].strip()
            ):
                pieces.append("…")
            pieces.append(c.quote)
            last_end = c.end
        out.append(" ".join(pieces))
    return out


def passage_blocks(context: AnswerContext, settings: LLMSettings) -> str:
    """The first max_passages passages, cut to their best sentences, numbered, fenced as data.

    A passage none of whose sentences made the cut is left out (the others keep their
    numbers, which the citations point by). Layout `document`: one fence per document, its
    title once, its passages inside as "[n] text" lines in rank order (about half the markup
    of `passage`, which fences every passage under its own title line).
    """
    shown = replace(context, passages=context.passages[: settings.max_passages])
    texts = prompt_texts(
        shown, settings.passage_sentences, settings.prompt_sentences, settings.prompt_score_gap
    )
    numbered = [
        (n, p, text)
        for n, (p, text) in enumerate(zip(shown.passages, texts, strict=True), start=1)
        if text.strip()
    ]
    if settings.passage_layout == "document":
        return _by_document(numbered)
    template = load_prompt("passage")
    blocks: list[str] = []
    first_of: dict[str, int] = {}
    for n, p, text in numbered:
        seen = first_of.get(p.doc_id)
        title = p.title if seen is None else f"(same document as [{seen}])"
        first_of.setdefault(p.doc_id, n)
        body = text.replace("</passage", "< /passage")
        blocks.append(template.format(number=n, title=title, text=body))
    return "\n\n".join(blocks)


def _by_document(numbered: list[tuple[int, Passage, str]]) -> str:
    """One fence per document, in the order of its best passage; "[n] text" lines inside."""
    fence, line = load_prompt("document"), load_prompt("document_passage")
    groups: dict[str, list[tuple[int, Passage, str]]] = {}
    for n, p, text in numbered:
        groups.setdefault(p.doc_id, []).append((n, p, text))
    blocks = []
    for members in groups.values():
        title = members[0][1].title.replace('"', "'")
        lines = "\n".join(
            line.format(number=n, text=_unfenced(" ".join(text.split()))) for n, _, text in members
        )
        blocks.append(fence.format(title=_unfenced(title), passages=lines))
    return "\n\n".join(blocks)


def _unfenced(text: str) -> str:
    """Text that cannot close its fence early (a "</document" inside it is broken apart)."""
    return text.replace("</document", "< /document")
