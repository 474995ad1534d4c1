"""Fitting a refusal cut: the best balanced accuracy, each answerer's own direction."""

import pytest

from eval.grounding.calibrate import best_cut, decide, refuses


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
