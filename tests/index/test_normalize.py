"""index.normalize: one form of whitespace and Unicode, so offsets mean one thing."""

import pytest

from index.normalize import normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\rc\u2028d", "a\nb\nc\nd"),
        ("x\u00a0\u2003y \t  z", "x y z"),
        ("cafe\u0301", "caf\u00e9"),  # NFC
        ("a\u200bb\u00adc\ufeffd", "abcd"),
        ("one\n\n\n\n two ", "one\n\ntwo"),
        ("bell\x07here", "bell here"),
        ("  line  \n  next  ", "line\nnext"),
        ("\n\n  \n", ""),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_is_idempotent_on_the_sample_corpus():
    from index.ingest import SAMPLE_CORPUS

    for path in SAMPLE_CORPUS.glob("*.txt"):
        once = normalize_text(path.read_text(encoding="utf-8"))
        assert normalize_text(once) == once
        assert "  " not in once and "\n\n\n" not in once
