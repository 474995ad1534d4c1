"""What every `qa` command shares: settings, the pipeline, JSON output and clean failures."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from qa.errors import QAError
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


@contextmanager
def failing_cleanly() -> Iterator[None]:
    """Turn the product's own errors into one line on stderr and exit status 1."""
    try:
        yield
    except QAError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        typer.echo(f"error: invalid setting: {problems}", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("interrupted: documents already reported as indexed are complete", err=True)
        raise typer.Exit(130) from None


def load_settings() -> Settings:
    return Settings()


def open_pipeline(settings: Settings) -> Pipeline:
    return build_pipeline(settings)


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
