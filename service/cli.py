"""The `qa` command: index documents, ask questions, manage the index."""

import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from qa.calibration import apply_calibration
from qa.types import Answer
from service.cli_common import (
    JsonFlag,
    failing_cleanly,
    load_settings,
    open_pipeline,
    print_json,
)
from service.eval_cli import calibrate_command, eval_command
from service.guard import check_exposure
from service.model_cli import model_app

app = typer.Typer(
    help="Answer questions from your own documents, with a citation on every sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(model_app, name="model")


@app.command("index")
def index_command(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .pdf).")],
    keep_going: Annotated[
        bool, typer.Option("--keep-going", help="Skip unreadable files instead of stopping.")
    ] = False,
    as_json: JsonFlag = False,
) -> None:
    """Index files and folders; unchanged documents are skipped, changed ones replaced."""
    from index.ingest import index_documents, plan_paths

    with failing_cleanly():
        settings = load_settings()
        plan = plan_paths(paths, int(settings.index.max_file_mb * 1e6), keep_going, settings.index)
        pipeline = open_pipeline(settings)
        results = index_documents(pipeline, plan.documents, progress=_progress_bar)
    if as_json:
        print_json(
            {
                "documents": [asdict(r) for r in results],
                "skipped": plan.skipped,
                "failed": plan.failed,
            }
        )
    else:
        for r in results:
            typer.echo(f"{r.status:9} {r.doc_id}  ({r.chunks} chunks)")
        for name in plan.skipped:
            typer.echo(f"skipped   {name}  (unsupported type)")
        for message in plan.failed:
            typer.echo(f"failed    {message}")
    if plan.failed:
        raise typer.Exit(1)


def _progress_bar(total: int) -> Callable[[int], None] | None:
    if total == 0 or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    bar = tqdm(total=total, unit="chunk", desc="embedding", leave=False)
    return bar.update


@app.command("ask")
def ask_command(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    top_k: Annotated[int | None, typer.Option(min=1, max=50, help="Passages to use.")] = None,
    doc: Annotated[
        list[str] | None, typer.Option("--doc", help="Only search this document id (repeatable).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Answer a question from the indexed documents, citing every sentence."""
    with failing_cleanly():
        settings = load_settings()
        pipeline = open_pipeline(settings)
        pipeline.check_question(question)
        answer = pipeline.ask(question, top_k=top_k, doc_ids=doc)
    if as_json:
        print_json(answer.to_dict())
    else:
        typer.echo(render_answer(answer))


def render_answer(answer: Answer) -> str:
    """The answer for people: text, then its sources (or the closest passages)."""
    lines = [answer.text, ""]
    if answer.abstained:
        lines.append("Closest passages:")
        for p in answer.passages:
            snippet = " ".join(p.text.split())[:160]
            lines.append(f"  {p.rank}. {p.title} ({p.source}), score {p.score:.3f}")
            lines.append(f"     {snippet}…")
    else:
        lines.append("Sources:")
        for c in answer.citations:
            lines.append(f"  [{c.marker}] {c.title} ({c.source}, characters {c.start}-{c.end})")
            lines.append(f"      “{c.quote}”")
    total = answer.timings_ms.get("total_ms", 0.0)
    footer = f"{answer.backend} answer in {total:.0f} ms"
    if answer.claims:
        verified = sum(c.supported for c in answer.claims)
        footer += f"; {verified} of {len(answer.claims)} written sentences verified"
    if answer.fallback:
        footer += f"\nfallback: {answer.fallback}"
    lines.append(f"\n{footer}")
    return "\n".join(lines)


@app.command("docs")
def docs_command(as_json: JsonFlag = False) -> None:
    """List the indexed documents with their chunk counts."""
    with failing_cleanly():
        pipeline = open_pipeline(load_settings())
        docs = pipeline.documents()
    if as_json:
        print_json([asdict(d) for d in docs])
        return
    if not docs:
        typer.echo("nothing indexed yet: qa index PATH")
    for d in docs:
        typer.echo(f"{d.doc_id}  {d.chunks:4} chunks  {d.title}  [{d.source}]")


@app.command("remove")
def remove_command(
    doc_id: Annotated[str, typer.Argument(help="Document id, as `qa docs` shows it.")],
    as_json: JsonFlag = False,
) -> None:
    """Delete a document and all of its chunks from the index."""
    with failing_cleanly():
        pipeline = open_pipeline(load_settings())
        removed = pipeline.remove_document(doc_id)
    if as_json:
        print_json({"doc_id": doc_id, "chunks_removed": removed})
    else:
        typer.echo(f"removed {doc_id} ({removed} chunks)")


@app.command("serve")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Address to bind (QA_SERVICE__HOST).")] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port (QA_SERVICE__PORT).")
    ] = None,
) -> None:
    """Serve the HTTP API and the web chat (http://127.0.0.1:8000/ by default)."""
    import uvicorn

    from service.app import create_app

    with failing_cleanly():
        settings = load_settings()
        host = host or settings.service.host
        port = port or settings.service.port
        check_exposure(host, settings.service)
        apply_calibration(settings)  # a broken calibration file stops here, in one line
        app = create_app(settings)
    typer.echo(
        f"groundedqa: web chat and API at http://{host}:{port}/ (API docs at /docs); Ctrl-C stops",
        err=True,
    )
    with failing_cleanly():
        uvicorn.run(app, host=host, port=port, log_level="info")


@app.command("config")
def config_command(as_json: JsonFlag = False) -> None:
    """Show the effective settings: defaults, .env, QA_* variables and `qa calibrate` cuts."""
    with failing_cleanly():
        settings, calibrated = apply_calibration(load_settings())
    data = settings.model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    for section, values in data.items():
        for key, value in values.items():
            note = "  # qa calibrate" if f"{section}.{key}" in calibrated else ""
            typer.echo(
                f"QA_{section.upper()}__{key.upper()}={'' if value is None else value}{note}"
            )


app.command("eval")(eval_command)
app.command("calibrate")(calibrate_command)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
