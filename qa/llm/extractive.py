"""The default answerer: quotes the sentences that answer the question, or abstains."""

from dataclasses import replace

import numpy as np

from qa.answer_type import expected_type
from qa.compose import (
    AnswerContext,
    Candidate,
    Composition,
    score_sentences,
    select_sentences,
    typed_candidates,
)
from qa.llm import register_llm
from qa.prompts import load_prompt
from qa.settings import AnswerSettings, Settings
from qa.support import SupportModel, candidate_features, load_support_model


class ExtractiveAnswerer:
    """Needs no LLM: every answer sentence is a verbatim quote of a retrieved passage."""

    name = "extractive"

    def __init__(self, settings: AnswerSettings) -> None:
        self.model: SupportModel | None = None
        if settings.support == "learned":
            self.model = load_support_model(settings.support_model)
            settings = settings.model_copy(update={"min_support": self.model.threshold})
        self.settings = settings

    @property
    def threshold(self) -> float:
        """Support at or above which an answer is given."""
        return self.settings.min_support

    def problem(self) -> str | None:
        return None

    def rank(self, context: AnswerContext) -> list[Candidate]:
        """Type-matching candidates, best first, each with the support that decides on it."""
        candidates = typed_candidates(score_sentences(context), context.question)
        if self.model is None or not candidates:
            return candidates
        typed = expected_type(context.question) is not None
        features = np.array([candidate_features(c, typed) for c in candidates])
        learned = self.model.probabilities(features)
        scored = [replace(c, learned=float(p)) for c, p in zip(candidates, learned, strict=True)]
        return sorted(scored, key=lambda c: c.score, reverse=True)

    def support(self, context: AnswerContext) -> float:
        """The score the abstain decision reads: that of the best type-matching sentence."""
        return _best_score(self.rank(context))

    def compose(self, context: AnswerContext) -> Composition:
        # Support is the score of the very candidate the abstain decision looks at.
        candidates = self.rank(context)
        support = _best_score(candidates)
        chosen = select_sentences(candidates, self.settings)
        if not chosen:
            return Composition(load_prompt("abstention"), (), True, round(support, 4))
        text = " ".join(f"{c.quote} [{c.marker}]" for c in chosen)
        citations = tuple(c.citation() for c in chosen)
        return Composition(text, citations, False, round(support, 4))


def _best_score(candidates: list[Candidate]) -> float:
    return candidates[0].score if candidates else 0.0


@register_llm("extractive")
def build_extractive(settings: Settings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(settings.answer)
