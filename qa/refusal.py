"""Whether the reader should refuse before it writes: P(unanswerable) from two signals.

The reader's own first-token P(not found) misses many unanswerable questions whose passages
are on topic (SQuAD 2.0's adversarial ones change one name or detail). The extractive
answerer's support for its best sentence is a second, independent view of the same passages.
A logistic model mixes the two; its weights and threshold are fitted on SQuAD 2.0 tuning
articles by `python -m eval.bench.refusal_fit` and stored in qa/refusal_model.json. (A third
signal, the share of the question's rare words any passage holds, was tried and dropped: on
the tuning questions it did not separate the kinds at all, AUC 0.48.)

Opt-in (QA_LLM__REFUSAL=learned): on held-out SQuAD and RGB questions it refuses more of the
unanswerable ones than the first-token rule, but the reader's calibration moves with the
corpus, and on the sample corpus it refused half the fair questions (eval/BENCHMARKS.md).
"""

import math
from pathlib import Path

import numpy as np

from qa.support import SupportModel, load_support_model

PACKAGED_MODEL = Path(__file__).with_name("refusal_model.json")
FEATURES = (
    "logit_not_found",  # the reader's first-token P(the reply opens with NOT_FOUND), as a logit
    "support",  # the extractive answerer's support for its best sentence
)
_CLIP = 1e-4


def logit(p: float) -> float:
    p = min(max(p, _CLIP), 1 - _CLIP)
    return math.log(p / (1 - p))


def refusal_features(p_not_found: float, support: float) -> list[float]:
    """The signals of one question, in FEATURES order."""
    return [logit(p_not_found), support]


def load_refusal_model(path: Path | None = None) -> SupportModel:
    """The stored refusal model (default: the packaged one)."""
    return load_support_model(path, FEATURES, PACKAGED_MODEL)


def refusal_probability(model: SupportModel, features: list[float]) -> float:
    return float(model.probabilities(np.array([features]))[0])
