"""Select-then-quote: the local model picks the words that answer; the code quotes the documents.

1. The model reads the numbered passages and replies with the exact words that answer, or NONE
   (its probability of starting with NONE is kept as a signal).
2. The code finds those words in a passage sentence and quotes that sentence, or the clause
   of a long one, as `document.text[start:end]`: no sentence can be invented.
3. It answers when 1 - P(NONE) reaches QA_LLM__MIN_SELECTED (0.5, not yet calibrated: see
   eval/BENCHMARKS.md) and a quote was found, else it abstains.
   Where the words sit in the prompt does not matter: they are matched to the sentence that
   holds them, whichever passage it is in.
"""

import time
from dataclasses import replace

from qa.compose import AnswerContext, Candidate, Composition, score_sentences
from qa.condense import condense_prompt, written_question
from qa.llm import register_llm
from qa.llm.extractive import ExtractiveAnswerer
from qa.llm.local import LocalModel, load_local_model
from qa.llm.passages import passage_blocks
from qa.locate import clause_span, locate_quote, quote_lines
from qa.prompts import load_prompt
from qa.settings import Settings
from qa.types import Claim, Turn

NONE_WORDS = ("NONE", " NONE", "None")
QUOTE_TOKENS = 60


class SelectAnswerer:
    """Quotes the passage sentences the local model finds and then confirms."""

    name = "select"

    def __init__(self, settings: Settings, model: LocalModel) -> None:
        self.settings = settings.llm
        self.answer_settings = settings.answer
        self.model = model
        self._extractive = ExtractiveAnswerer(settings.answer)

    def problem(self) -> str | None:
        return None

    def quote_messages(self, context: AnswerContext) -> list[tuple[str, str]]:
        blocks = passage_blocks(context, self.settings)
        user = load_prompt("quote_user").format(passages=blocks, question=context.question)
        return [("system", load_prompt("quote_system")), ("user", user)]

    def locate(self, context: AnswerContext, reply: str) -> list[Candidate]:
        """The passage sentences (or clauses) that hold the reply's quotes, best first."""
        allowed = min(len(context.passages), self.settings.max_passages)
        sentences = [c for c in score_sentences(context) if c.marker <= allowed]
        found: list[Candidate] = []
        for quote in quote_lines(reply):
            at = locate_quote(quote, [c.quote for c in sentences])
            if at is None:
                continue
            c = sentences[at]
            a, b = clause_span(c.quote, quote)
            piece = replace(c, start=c.start + a, end=c.start + b, quote=c.quote[a:b])
            if all(
                (piece.passage.doc_id, piece.start) != (o.passage.doc_id, o.start) for o in found
            ):
                found.append(piece)
        return found[: self.answer_settings.max_sentences]

    def compose(self, context: AnswerContext) -> Composition:
        if not context.passages:
            return self._extractive.compose(context)
        deadline = time.monotonic() + self.settings.timeout_s
        try:
            messages = self.quote_messages(context)
            p_none = self.model.first_token_share(messages, NONE_WORDS)
            reply = self.model.complete(messages, QUOTE_TOKENS)
            if time.monotonic() > deadline:
                raise TimeoutError(f"no quote within {self.settings.timeout_s:g} s")
        except Exception as exc:  # a failing model must not fail the question
            return self.fall_back(context, exc)
        said_none = reply.strip().upper().startswith("NONE")
        found = [] if said_none else self.locate(context, reply)
        # support: the model's confidence that the passages answer (1 - P(reply starts NONE)).
        support = round(1.0 - p_none, 4)
        answers = bool(found) and support >= self.settings.min_selected
        claims = tuple(Claim(c.quote, (c.marker,), answers, support) for c in found)
        if not answers:
            return Composition(load_prompt("abstention"), (), True, support, claims)
        chosen = list(found)
        chosen.sort(key=lambda c: (c.marker, c.start))  # read in passage order
        text = " ".join(f"{c.quote} [{c.marker}]" for c in chosen)
        return Composition(text, tuple(c.citation() for c in chosen), False, support, claims)

    def fall_back(self, context: AnswerContext, exc: Exception) -> Composition:
        composition = self._extractive.compose(context)
        reason = f"select failed ({type(exc).__name__}: {exc}); extractive answer instead"
        return replace(composition, fallback=reason[:500])

    def condense(self, question: str, history: list[Turn]) -> str:
        """A standalone question written by the model from the conversation."""
        return condense_with(self.model, question, history)


def condense_with(model: LocalModel, question: str, history: list[Turn]) -> str:
    return written_question(model.complete([("user", condense_prompt(question, history))], 80))


@register_llm("select")
def build_select(settings: Settings) -> SelectAnswerer:
    return SelectAnswerer(settings, load_local_model(settings.llm))
