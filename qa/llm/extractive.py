"""The default answerer: quotes the sentences that answer the question, or abstains."""

from qa.compose import AnswerContext, Composition, score_sentences, select_sentences
from qa.llm import register_llm
from qa.prompts import load_prompt
from qa.settings import AnswerSettings, Settings


class ExtractiveAnswerer:
    """Needs no LLM: every answer sentence is a verbatim quote of a retrieved passage."""

    name = "extractive"

    def __init__(self, settings: AnswerSettings) -> None:
        self.settings = settings

    def problem(self) -> str | None:
        return None

    def compose(self, context: AnswerContext) -> Composition:
        candidates = score_sentences(context)
        support = candidates[0].score if candidates else 0.0
        chosen = select_sentences(candidates, self.settings)
        if not chosen:
            return Composition(load_prompt("abstention"), (), True, round(support, 4))
        text = " ".join(f"{c.quote} [{c.marker}]" for c in chosen)
        citations = tuple(c.citation() for c in chosen)
        return Composition(text, citations, False, round(support, 4))


@register_llm("extractive")
def build_extractive(settings: Settings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(settings.answer)
