"""Refusal cuts fitted on the user's own labelled questions, stored beside the index.

Whether an answerer should say "the documents don't say" is decided by one number against a
cut: the extractive answerer's support for its best sentence (`answer.min_support`), the
reader's first-token P(NOT_FOUND) (`llm.min_not_found`). How those numbers are spread moves
with the kind of text: the defaults were fitted on the sample corpus and SQuAD 2.0, and on
other collections they refuse too little or too much (eval/BENCHMARKS.md). `qa calibrate`
fits the cut on a few labelled questions about the collection at hand and writes it here; the
pipeline applies it when it opens that collection. A setting given explicitly (environment or
.env) always wins over the file.
"""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from qa.errors import ConfigError
from qa.settings import Settings, StoreSettings

# answerer -> (settings section, field) of the cut `qa calibrate` fits for it
CALIBRATED = {
    "extractive": ("answer", "min_support"),
    "llamacpp": ("llm", "min_not_found"),
}


def calibration_path(store: StoreSettings) -> Path:
    """The collection's calibration file, next to its catalog."""
    return store.path / f"calibration-{store.collection}.json"


def read_calibration(path: Path) -> dict[str, Any]:
    """The stored cuts, checked; {} when there is no file."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(
            f"unreadable calibration file {path}: {exc}; delete it or run `qa calibrate --write`"
        ) from exc
    cuts = data.get("cuts") if isinstance(data, dict) else None
    if not isinstance(cuts, dict):
        raise ConfigError(f"calibration file {path} has no 'cuts' object; run `qa calibrate`")
    for name, entry in cuts.items():
        value = entry.get("cut") if isinstance(entry, dict) else None
        if name not in CALIBRATED or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(
                f"calibration file {path}: bad entry {name!r} (an answerer of "
                f"{sorted(CALIBRATED)} with a cut between 0 and 1 is expected); delete it or "
                "run `qa calibrate --write`"
            )
    return data


def apply_calibration(settings: Settings) -> tuple[Settings, dict[str, float]]:
    """Settings with the stored cuts in place of defaults, and the cuts that were applied.

    A cut whose setting was given explicitly is left alone: the user's word is the last.
    """
    if not settings.answer.calibrated:
        return settings, {}
    data = read_calibration(calibration_path(settings.store))
    applied: dict[str, float] = {}
    for name, entry in data.get("cuts", {}).items():
        section_name, field = CALIBRATED[name]
        section: BaseModel = getattr(settings, section_name)
        if field in section.model_fields_set:
            continue
        section = section.model_copy(update={field: float(entry["cut"])})
        settings = settings.model_copy(update={section_name: section})
        applied[f"{section_name}.{field}"] = float(entry["cut"])
    return settings, applied


def write_calibration(store: StoreSettings, answerer: str, entry: dict[str, Any]) -> Path:
    """Store one answerer's cut (with how it was fitted), keeping the others; atomic."""
    if answerer not in CALIBRATED or not 0 <= float(entry["cut"]) <= 1:
        raise ConfigError(f"cannot store a cut for {answerer!r}")
    path = calibration_path(store)
    data = read_calibration(path) or {"cuts": {}}
    data["cuts"][answerer] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    scratch.replace(path)
    return path
