"""Text that is not UTF-8 is named for what it is: UTF-16 is another encoding, not binary."""

import pytest

from index.load import load_bytes
from qa.errors import UnreadableDocument

TEXT = "The harbour master retired in May.\n"


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16"),  # with a byte order mark, as Windows editors write it
        ("utf-16-le", "UTF-16"),
        ("utf-16-be", "UTF-16"),
        ("utf-32", "UTF-32"),
    ],
)
def test_utf16_and_utf32_are_named_and_not_called_binary(encoding, named):
    with pytest.raises(UnreadableDocument) as exc:
        load_bytes("notes.txt", TEXT.encode(encoding))
    message = exc.value.message
    assert named in message and "convert it to UTF-8" in message
    assert "binary" not in message


def test_real_binary_is_still_called_binary():
    with pytest.raises(UnreadableDocument, match="binary"):
        load_bytes("image.txt", bytes(range(256)) * 8)
