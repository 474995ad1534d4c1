"""A collection's calibration file: applied where no setting names the cut, never over one."""

import json

import pytest

from qa.calibration import (
    apply_calibration,
    calibration_path,
    read_calibration,
    write_calibration,
)
from qa.errors import ConfigError
from qa.settings import Settings


def settings_for(tmp_path, **sections) -> Settings:
    return Settings(_env_file=None, store={"path": tmp_path, "collection": "mine"}, **sections)


def test_a_stored_cut_replaces_the_default(tmp_path):
    settings = settings_for(tmp_path)
    write_calibration(settings.store, "extractive", {"cut": 0.31})
    write_calibration(settings.store, "llamacpp", {"cut": 0.12})
    applied, which = apply_calibration(settings)
    assert applied.answer.min_support == pytest.approx(0.31)
    assert applied.llm.min_not_found == pytest.approx(0.12)
    assert which == {"answer.min_support": 0.31, "llm.min_not_found": 0.12}
    # writing one answerer's cut kept the other's
    stored = json.loads(calibration_path(settings.store).read_text())
    assert set(stored["cuts"]) == {"extractive", "llamacpp"}


def test_a_setting_given_explicitly_wins_over_the_file(tmp_path, monkeypatch):
    write_calibration(settings_for(tmp_path).store, "extractive", {"cut": 0.31})
    monkeypatch.setenv("QA_ANSWER__MIN_SUPPORT", "0.6")
    applied, which = apply_calibration(settings_for(tmp_path))
    assert applied.answer.min_support == pytest.approx(0.6)
    assert which == {}


def test_calibration_can_be_turned_off_and_is_per_collection(tmp_path):
    write_calibration(settings_for(tmp_path).store, "extractive", {"cut": 0.31})
    off = settings_for(tmp_path, answer={"calibrated": False})
    assert apply_calibration(off)[0].answer.min_support == off.answer.min_support
    other = Settings(_env_file=None, store={"path": tmp_path, "collection": "other"})
    assert apply_calibration(other)[1] == {}


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"cuts": 3}',
        '{"cuts": {"extractive": {"cut": 7}}}',
        '{"cuts": {"x": {"cut": 0.2}}}',
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path, content):
    settings = settings_for(tmp_path)
    calibration_path(settings.store).write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="calibrat"):
        apply_calibration(settings)


def test_no_file_means_no_change(tmp_path):
    settings = settings_for(tmp_path)
    assert read_calibration(calibration_path(settings.store)) == {}
    assert apply_calibration(settings) == (settings, {})
