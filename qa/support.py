"""Support as a probability: a small logistic model over several signals of a candidate.

The coefficients and the abstain threshold are fitted on data by `python -m eval.bench.fit_support`
and stored as numbers in qa/support_model.json; no hand threshold.
"""

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.compose import Candidate

PACKAGED_MODEL = Path(__file__).with_name("support_model.json")
FEATURES = (
    "similarity",  # embedding cosine of sentence and question
    "overlap",  # IDF-weighted share of the question's terms in the sentence
    "reciprocal_rank",  # 1 / rank of the passage
    "fused_score",  # the passage's hybrid retrieval score
    "dense_score",  # the passage's cosine with the question
    "log_bm25",  # log(1 + BM25 score of the passage)
    "log_words",  # log of the sentence's length in words
    "typed",  # 1 when the question asks for a type (when, how many...) the sentence has
)


def candidate_features(candidate: Candidate, typed: bool) -> list[float]:
    """The signals of one candidate sentence, in FEATURES order."""
    p = candidate.passage
    return [
        candidate.similarity,
        candidate.overlap,
        1.0 / max(p.rank, 1),
        p.score,
        p.dense_score or 0.0,
        math.log1p(max(p.lexical_score or 0.0, 0.0)),
        math.log(max(len(candidate.quote.split()), 1)),
        1.0 if typed else 0.0,
    ]


@dataclass(frozen=True)
class SupportModel:
    """Standardise, weigh, squash: P(this sentence answers the question)."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float
    features: tuple[str, ...] = FEATURES

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = ((features - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def to_json(self) -> dict:
        return {
            "features": list(self.features),
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "weights": [round(float(v), 6) for v in self.weights],
            "bias": round(float(self.bias), 6),
            "threshold": round(float(self.threshold), 4),
        }


def load_support_model(
    path: Path | None, features: tuple[str, ...] = FEATURES, packaged: Path = PACKAGED_MODEL
) -> SupportModel:
    """The model stored at `path` (default: the packaged one); its features must match ours."""
    where = path or packaged
    data = json.loads(where.read_text(encoding="utf-8"))
    if tuple(data["features"]) != features:
        raise ValueError(f"{where}: model features {data['features']} != {features}")
    return SupportModel(
        np.array(data["mean"]),
        np.array(data["scale"]),
        np.array(data["weights"]),
        float(data["bias"]),
        float(data["threshold"]),
        features,
    )


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1.0,
    steps: int = 50,
    features: tuple[str, ...] = FEATURES,
) -> SupportModel:
    """L2-regularised logistic regression by Newton's method (eight weights need no library)."""
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    a = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    penalty = np.diag([l2] * (a.shape[1] - 1) + [0.0])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        gradient = a.T @ (p - y) + penalty @ w
        hessian = (a * (p * (1 - p))[:, None]).T @ a + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return SupportModel(mean, scale, w[:-1], float(w[-1]), 0.5, features)
