"""Fitting a refusal cut: the best balanced accuracy, each answerer's own direction."""

import random

import pytest

from eval.grounding.calibrate import best_cut, cross_validated, decide, refuses


def test_the_extractive_cut_refuses_below_it():
    # answerable questions have support 0.5-0.8, unanswerable 0.1-0.4, one stray of each
    rows = [(0.5, True), (0.6, True), (0.8, True), (0.3, True)]
    rows += [(0.1, False), (0.2, False), (0.4, False), (0.7, False)]
    fit = best_cut("extractive", rows)
    assert 0.4 < fit.cut <= 0.5
    assert fit.answerable_refused == pytest.approx(0.25)
    assert fit.unanswerable_refused == pytest.approx(0.75)
    assert refuses("extractive", 0.3, fit.cut) and not refuses("extractive", 0.5, fit.cut)


def test_the_reader_cut_refuses_from_it_up():
    rows = [(0.05, True), (0.1, True), (0.2, True), (0.6, False), (0.7, False), (0.15, False)]
    fit = best_cut("llamacpp", rows)
    assert fit.balanced_accuracy == pytest.approx(5 / 6)
    assert 0.2 < fit.cut <= 0.6
    assert refuses("llamacpp", 0.6, fit.cut) and not refuses("llamacpp", 0.2, fit.cut)


def test_of_a_plateau_the_middle_cut_is_taken():
    rows = [(0.1, False), (0.9, True)]
    fit = best_cut("extractive", rows)  # any cut in (0.1, 0.9] separates them
    assert fit.balanced_accuracy == 1.0
    assert fit.cut == pytest.approx(0.5)


def test_the_cut_in_effect_is_scored_the_same_way():
    rows = [(0.3, True), (0.5, True), (0.2, False), (0.6, False)]
    now = decide("extractive", rows, 0.45)
    assert (now.answerable_refused, now.unanswerable_refused) == (0.5, 0.5)
    assert now.balanced_accuracy == 0.5


def test_held_out_folds_expose_a_cut_fitted_on_noise():
    fitted, held_out = [], []
    for seed in range(10):
        rng = random.Random(seed)
        noise = [(rng.random(), i % 2 == 0) for i in range(60)]
        fitted.append(best_cut("extractive", noise).balanced_accuracy)
        held_out.append(cross_validated("extractive", noise).balanced_accuracy)
    # a cut always looks good on what it was fitted on; on the other folds it is a coin
    assert sum(fitted) / 10 > sum(held_out) / 10 + 0.05
    assert abs(sum(held_out) / 10 - 0.5) < 0.06
    rng = random.Random(0)
    clean = [(0.2 + 0.6 * (i % 2) + rng.random() * 0.1, i % 2 == 1) for i in range(60)]
    assert cross_validated("extractive", clean).balanced_accuracy == 1.0


def test_a_cut_that_does_not_hold_out_is_not_written(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from eval.grounding import calibrate as module
    from qa.settings import Settings

    settings = Settings(_env_file=None, store={"path": tmp_path, "collection": "mine"})
    pipeline = SimpleNamespace(answerer=SimpleNamespace(name="extractive"), settings=settings)
    items = [{"user_input": f"q{i}", "kind": "unanswerable" if i % 2 else "x"} for i in range(40)]
    rng = random.Random(5)
    rows = [
        {
            "question": i["user_input"],
            "answerable": i["kind"] != "unanswerable",
            "signal": rng.random(),
        }
        for i in items
    ]
    monkeypatch.setattr(module, "refusal_signals", lambda p, i: rows)
    result = module.calibrate(pipeline, items, "noise", write=True)
    assert result["written"] is None and "--force" in result["not_written"]
    assert not list(tmp_path.glob("calibration-*"))
    forced = module.calibrate(pipeline, items, "noise", write=True, force=True)
    assert forced["written"] and list(tmp_path.glob("calibration-*"))


def test_the_human_report_shows_the_three_cuts_and_what_was_done():
    from eval.grounding.calibrate import format_calibration

    rows = {
        "current": decide("extractive", [(0.3, True), (0.2, False)], 0.455).as_dict(),
        "fitted": decide("extractive", [(0.3, True), (0.2, False)], 0.25).as_dict(),
        "held_out": decide("extractive", [(0.3, True), (0.2, False)], 0.2512345).as_dict(),
    }
    base = {"answerer": "extractive", "questions": 2, "answerable": 1, "unanswerable": 1}
    base |= {"setting": "answer.min_support", **rows}
    shown = format_calibration({**base, "written": None, "not_written": "no better"})
    lines = shown.splitlines()
    assert [line.split()[0] for line in lines[2:5]] == ["in", "fitted", "held"]
    assert "0.4550" in lines[2] and "0.2512" in lines[4] and "0.2512345" not in shown
    assert lines[-1] == "not written: no better"
    written = format_calibration({**base, "written": "/s/c.json", "not_written": None})
    assert written.splitlines()[-1] == "written: answer.min_support = 0.25 in /s/c.json"
