"""Prompt and message templates, kept as plain files in prompts/ and loaded by name."""

from functools import cache
from pathlib import Path

from qa.errors import ConfigError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load_prompt(name: str) -> str:
    """The text of prompts/<name>.txt, without its trailing newline."""
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8").rstrip("\n")
    except FileNotFoundError as exc:
        raise ConfigError(f"prompt file missing: {path}") from exc


@cache
def load_template(name: str) -> str:
    """The exact text of prompts/<name>.txt, trailing newline included (chat-format pieces)."""
    path = PROMPTS_DIR / f"{name}.txt"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"prompt file missing: {path}") from exc
