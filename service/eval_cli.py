"""`qa eval` and `qa calibrate`: score answering on a labelled set, fit refusal cuts on one."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from qa.errors import InputError
from service.cli_common import JsonFlag, failing_cleanly, load_settings, open_pipeline, print_json


def eval_command(
    set_path: Annotated[
        Path | None, typer.Option("--set", help="Eval set (JSONL); default: the sample-corpus set.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option(help="Answerer to evaluate (default: QA_LLM__PROVIDER).")
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Folder for results.jsonl, summary.json and report.html.")
    ] = Path("eval/out"),
    url: Annotated[
        str | None, typer.Option(help="Evaluate a running service (POST URL/ask) instead.")
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help='JSON floors: {"min": {METRIC: VALUE}, "max": {...}}.')
    ] = None,
    minimum: Annotated[
        list[str] | None, typer.Option("--min", help="Floor METRIC=VALUE (repeatable).")
    ] = None,
    maximum: Annotated[
        list[str] | None, typer.Option("--max", help="Ceiling METRIC=VALUE (repeatable).")
    ] = None,
    top_k: Annotated[int | None, typer.Option(min=1, max=50, help="Passages to use.")] = None,
    ragas: Annotated[bool, typer.Option("--ragas", help="Also report Ragas metrics.")] = False,
    ragas_rows: Annotated[
        int | None, typer.Option(min=1, help="Judge only the first N rows with Ragas.")
    ] = None,
    judge: Annotated[
        str,
        typer.Option(
            help="Who judges faithfulness and citations: score, reader (the packaged reader), "
            "hosted (the chat model at QA_JUDGE__BASE_URL), or auto (hosted when configured)."
        ),
    ] = "auto",
    as_json: JsonFlag = False,
) -> None:
    """Score grounded answering on an eval set; exit 1 when a metric misses its floor."""
    from eval.grounding.run import EvalConfig, evaluate, ragas_status
    from eval.grounding.summary import format_summary, parse_bounds, read_thresholds

    with failing_cleanly():
        settings = load_settings()
        floors, ceilings = read_thresholds(thresholds) if thresholds else ({}, {})
        config = EvalConfig(
            out_dir=out,
            provider=provider,
            url=url,
            top_k=top_k,
            minimums=floors | parse_bounds(minimum or []),
            maximums=ceilings | parse_bounds(maximum or []),
            progress=sys.stderr.isatty(),
            ragas=ragas,
            ragas_rows=ragas_rows,
            judge=judge,
        )
        if set_path:
            config.set_path = set_path
        summary, failures = evaluate(config, settings)
    if as_json:
        print_json(summary)
    else:
        typer.echo(format_summary(summary))
        typer.echo(f"report: {out / 'report.html'}")
    if ragas and (status := ragas_status(provider or settings.llm.provider)):
        typer.echo(status, err=True)
    if failures:
        raise typer.Exit(1)


def calibrate_command(
    set_path: Annotated[
        Path,
        typer.Option(
            "--set",
            help="Labelled questions about the indexed documents (JSONL, as `qa eval --set`; "
            "kind 'unanswerable' marks those the documents cannot answer).",
        ),
    ],
    provider: Annotated[
        str | None,
        typer.Option(
            help="Answerer whose cut to fit: extractive or llamacpp (default: QA_LLM__PROVIDER)."
        ),
    ] = None,
    write: Annotated[
        bool,
        typer.Option(
            "--write",
            help="Store the fitted cut for this collection, if cuts fitted on part of the set "
            "beat the cut in effect on the rest.",
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="With --write: store it even if they do not.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Fit the refusal cut on your own labelled questions; --write makes the pipeline use it."""
    from eval.grounding.calibrate import calibrate, format_calibration
    from eval.grounding.run import load_set

    with failing_cleanly():
        settings = load_settings()
        if provider:
            settings = settings.model_copy(
                update={"llm": settings.llm.model_copy(update={"provider": provider})}
            )
        if not set_path.is_file():
            raise InputError(f"no such eval set: {set_path}")
        items = load_set(set_path)
        pipeline = open_pipeline(settings)
        try:
            result = calibrate(pipeline, items, set_path, write=write, force=force)
        finally:
            pipeline.close()
    if as_json:
        print_json(result)
    else:
        typer.echo(format_calibration(result))
