"""The refusal model's fit: it learns from tuning rows only and is scored on held-out rows."""

import json

import numpy as np
import pytest

from eval.bench import refusal_fit
from qa.refusal import FEATURES, PACKAGED_MODEL, load_refusal_model


def write_rows(path, n: int, seed: int, first_token_noise: float) -> None:
    """Rows where the support separates the kinds and the first-token share is noise."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(n):
        answerable = i % 2 == 0
        p_not = float(np.clip(rng.uniform(0, 1) * first_token_noise, 0.001, 0.999))
        support = rng.uniform(0.6, 1.0) if answerable else rng.uniform(0.0, 0.4)
        signals = [float(np.log(p_not / (1 - p_not))), support]
        row = {"answerable": answerable, "p_not_found": p_not, "signals": signals}
        lines.append(json.dumps(row) + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def test_the_fit_finds_the_separating_signal_and_scores_held_out_rows(tmp_path, capsys):
    write_rows(tmp_path / "tune.jsonl", 200, 0, 1.0)
    write_rows(tmp_path / "held.jsonl", 100, 1, 1.0)
    argv = ["--tune", str(tmp_path / "tune.jsonl"), "--check", f"held={tmp_path / 'held.jsonl'}"]
    assert refusal_fit.main([*argv, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    weights = dict(zip(FEATURES, report["model"]["weights"], strict=True))
    assert weights["support"] < -1, "less support, more refusals"
    held = report["sets"]["held"]
    assert held["model"]["balanced_accuracy"] == pytest.approx(1.0)
    assert held["first_token"]["balanced_accuracy"] < 0.75  # the noise alone cannot separate


def test_best_threshold_maximises_balanced_accuracy():
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.35])
    y = np.array([0, 0, 0, 1, 1, 1])
    cut = refusal_fit.best_threshold(p, y)
    assert 0.3 < cut <= 0.35
    assert refusal_fit.decision_figures(p, y, cut)["balanced_accuracy"] == 1.0


def test_the_packaged_refusal_model_loads_with_our_features():
    model = load_refusal_model()
    assert model.features == FEATURES and 0 < model.threshold < 1
    data = json.loads(PACKAGED_MODEL.read_text(encoding="utf-8"))
    assert data["features"] == list(FEATURES)
