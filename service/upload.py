"""What an upload must pass before it is queued: names, types, sizes, count, no duplicates.

These checks are cheap; reading a file's text is left to the job, outside the request.
"""

from dataclasses import dataclass

from index.load import check_type
from qa.errors import InputError, UnreadableDocument
from qa.settings import Settings
from service.errors import PayloadTooLarge

_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


@dataclass(frozen=True)
class IncomingFile:
    """One uploaded file: its plain name and its bytes."""

    name: str
    data: bytes


def upload_name(filename: str | None) -> str:
    """The file's own name, without any folders a client put in front of it."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name.startswith(".") or len(name) > 200 or set(name) & _CONTROL:
        raise InputError(f"unusable file name {filename!r}: give each file a plain name")
    return name


def check_file_count(count: int, settings: Settings) -> None:
    """PayloadTooLarge when a request carries more files than one upload may."""
    limit = settings.service.max_upload_files
    if count > limit:
        raise PayloadTooLarge(f"{count} files sent; at most {limit} per upload")


def check_upload(files: list[IncomingFile], settings: Settings) -> None:
    """Refuse the whole upload if any file fails a check, before anything is queued."""
    check_file_count(len(files), settings)
    max_bytes = int(settings.index.max_file_mb * 1e6)
    seen: set[str] = set()
    for file in files:
        if file.name in seen:
            raise InputError(f"{file.name} is in the upload twice")
        seen.add(file.name)
        check_type(file.name)
        if len(file.data) > max_bytes:
            raise PayloadTooLarge(
                f"{file.name}: {len(file.data) / 1e6:.1f} MB is over the "
                f"{max_bytes / 1e6:.1f} MB limit per file"
            )
        if not file.data.strip():
            raise UnreadableDocument(f"{file.name}: the file is empty")
