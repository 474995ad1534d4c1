"""Whether the reader should refuse before it writes: P(unanswerable) from three signals.

The reader's own first-token P(not found) misses many unanswerable questions whose passages
are on topic (SQuAD 2.0's adversarial ones change one name or detail). Two cheap signals of the
passages help it: the extractive answerer's best support, and how much of the question's
rare wording any passage in the prompt holds at all. A logistic model mixes the three; its
weights and threshold are fitted on SQuAD 2.0 tuning articles by
`python -m eval.bench.refusal_fit` and stored in qa/refusal_model.json.
"""

import math
from pathlib import Path

import numpy as np

from qa.compose import AnswerContext, question_terms, term_weights, weighted_overlap
from qa.lexical import lexical_terms
from qa.support import SupportModel, load_support_model

PACKAGED_MODEL = Path(__file__).with_name("refusal_model.json")
FEATURES = (
    "logit_not_found",  # the reader's first-token P(the reply opens with NOT_FOUND), as a logit
    "support",  # the extractive answerer's support for its best sentence
    "coverage",  # the largest IDF-weighted share of the question's terms one passage holds
)
_CLIP = 1e-4


def logit(p: float) -> float:
    p = min(max(p, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


def passage_coverage(context: AnswerContext, passages: int) -> float:
    """The largest share of the question's term weight that one of the first passages holds."""
    terms = question_terms(context.question)
    if not terms:
        return 0.0
    weights = term_weights(terms, context.view)
    return max(
        (
            weighted_overlap(weights, set(lexical_terms(p.text)))
            for p in context.passages[:passages]
        ),
        default=0.0,
    )


def refusal_features(p_not_found: float, support: float, coverage: float) -> list[float]:
    """The signals of one question, in FEATURES order."""
    return [logit(p_not_found), support, coverage]


def load_refusal_model(path: Path | None = None) -> SupportModel:
    """The stored refusal model (default: the packaged one)."""
    return load_support_model(path, FEATURES, PACKAGED_MODEL)


def refusal_probability(model: SupportModel, features: list[float]) -> float:
    return float(model.probabilities(np.array([features]))[0])
