"""The `qa` command: index documents, ask questions, manage the index."""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from qa.errors import QAError
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
from qa.types import Answer
from service.guard import check_exposure
from service.model_cli import model_app

app = typer.Typer(
    help="Answer questions from your own documents, with a citation on every sentence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(model_app, name="model")

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
        app = create_app(settings)
    typer.echo(
        f"groundedqa: web chat and API at http://{host}:{port}/ (API docs at /docs); Ctrl-C stops",
        err=True,
    )
    with failing_cleanly():
        uvicorn.run(app, host=host, port=port, log_level="info")


@app.command("config")
def config_command(as_json: JsonFlag = False) -> None:
    """Show the effective settings (defaults, .env and QA_* variables combined)."""
    with failing_cleanly():
        settings = load_settings()
    data = settings.model_dump(mode="json")
    if as_json:
        print_json(data)
        return
    for section, values in data.items():
        for key, value in values.items():
            typer.echo(f"QA_{section.upper()}__{key.upper()}={'' if value is None else value}")


@app.command("eval")
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
