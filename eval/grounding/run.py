"""The grounding eval runner: a set of questions -> answers -> scores, summary.json, report.html."""

import json
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.grounding.report import write_report
from eval.grounding.score import SupportJudge, score_item
from eval.grounding.summary import KINDS, check_floors, summarize
from qa.errors import InputError, QAError
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
from qa.types import Turn
from qa.verify import Judge

SAMPLE_SET = Path(__file__).resolve().parent / "sets" / "sample_corpus.jsonl"
Ask = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class EvalConfig:
    """One run of the runner."""

    set_path: Path = SAMPLE_SET
    out_dir: Path = Path("eval/out")
    provider: str | None = None
    url: str | None = None
    top_k: int | None = None
    corpus: Path | None = None  # folder whose files the set's `sources` name
    minimums: dict[str, float] = field(default_factory=dict)
    maximums: dict[str, float] = field(default_factory=dict)
    support_threshold: float | None = None  # default: QA_LLM__MIN_CLAIM_SUPPORT
    progress: bool = True
    title: str = ""
    ragas: bool = False  # also Ragas' metrics, when installed and the judge is openai
    ragas_rows: int | None = None  # judge only the first N rows; default: all
    # Who judges faithfulness and citations: "score" (qa.verify's embedding-and-overlap score),
    # "reader" (the packaged reader as an entailment judge; needs make install-llm), "hosted"
    # (the chat model at QA_JUDGE__BASE_URL) or "auto" (hosted when configured, else score).
    judge: str = "score"


# -- the set ---------------------------------------------------------------------------


def load_set(path: Path) -> list[dict[str, Any]]:
    """Eval records from JSONL, checked for the fields the runner needs."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        if not str(item.get("user_input", "")).strip():
            raise InputError(f"{path}:{number}: user_input is missing")
        if item.get("kind", "single_fact") not in KINDS:
            raise InputError(f"{path}:{number}: unknown kind {item.get('kind')!r}")
        item.setdefault("kind", "single_fact")
        for key in ("reference_contexts", "history", "key_facts", "sources"):
            item.setdefault(key, [])
        item.setdefault("reference", "")
        items.append(item)
    if not items:
        raise InputError(f"{path}: no questions")
    return items


# -- answering: in-process or over HTTP -------------------------------------------------


def ask_in_process(pipeline: Pipeline, top_k: int | None) -> Ask:
    def ask(item: dict[str, Any]) -> dict[str, Any]:
        history = [Turn(t["role"], t["content"]) for t in item["history"]]
        return pipeline.ask(item["user_input"], top_k=top_k, history=history).to_dict()

    return ask


def ask_over_http(url: str, top_k: int | None, timeout: float = 120.0) -> Ask:
    """POST {url}/ask {question, history, top_k}; the reply is read as an Answer dict."""

    def ask(item: dict[str, Any]) -> dict[str, Any]:
        body = {"question": item["user_input"], "history": item["history"], "top_k": top_k}
        request = urllib.request.Request(
            f"{url.rstrip('/')}/ask",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                reply = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise QAError(f"{url}/ask answered {exc.code}: {exc.read()[:300]!r}") from exc
        except OSError as exc:
            raise QAError(f"cannot reach {url}/ask: {exc}") from exc
        reply = reply.get("answer", reply) if isinstance(reply, dict) else {}
        timings = dict(reply.get("timings_ms") or {})
        timings["http_ms"] = round((time.perf_counter() - began) * 1000, 3)
        return {
            "text": reply.get("text", ""),
            "abstained": bool(reply.get("abstained", False)),
            "citations": reply.get("citations") or [],
            "passages": reply.get("passages") or [],
            "backend": reply.get("backend", "service"),
            "query": reply.get("query", item["user_input"]),
            "support": reply.get("support"),
            "fallback": reply.get("fallback"),
            "timings_ms": timings,
        }

    return ask


def targets_corpus(items: Sequence[dict[str, Any]], corpus: Path) -> bool:
    sources = {s for item in items for s in item["sources"]}
    return bool(sources) and all((corpus / s).is_file() for s in sources)


@contextmanager
def eval_pipeline(
    settings: Settings, items: Sequence[dict[str, Any]], corpus: Path | None
) -> Iterator[Pipeline]:
    """The set's corpus indexed in a private temporary store, or the configured store."""
    from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths

    corpus = corpus or SAMPLE_CORPUS
    with ExitStack() as stack:
        if targets_corpus(items, corpus):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qa-eval-")))
            store = settings.store.model_copy(update={"path": folder / "store", "url": None})
            settings = settings.model_copy(update={"store": store})
        pipeline = build_pipeline(settings)
        stack.callback(pipeline.close)
        if targets_corpus(items, corpus):
            plan = plan_paths([corpus], int(settings.index.max_file_mb * 1e6))
            index_documents(pipeline, plan.documents)
        yield pipeline


def run_items(
    items: Sequence[dict[str, Any]],
    ask: Ask,
    pipeline: Pipeline,
    config: EvalConfig,
    info: dict[str, Any],
) -> tuple[dict[str, Any], list[str]]:
    """Answer and score every item, write the three files; returns summary and failed floors."""
    from tqdm import tqdm

    top_k = config.top_k or pipeline.settings.retrieval.top_k
    k_values = sorted({1, min(3, top_k), top_k})
    threshold = config.support_threshold or pipeline.settings.llm.min_claim_support
    judged_by = judge_name(config.judge, pipeline.settings)
    judge = SupportJudge(pipeline, threshold, entailment_judge(judged_by, pipeline))
    documents = {d.source: pipeline.document(d.doc_id).text for d in pipeline.documents()}
    rows = []
    began = time.time()
    for item in tqdm(items, desc="eval", unit="q", disable=not config.progress, leave=False):
        try:
            answer = ask(item)
        except QAError as exc:
            answer = {"text": "", "abstained": False, "citations": [], "passages": []}
            answer["error"] = exc.message
        rows.append(score_item(item, answer, judge, documents, k_values))
    summary = summarize(rows, k_values)
    if config.ragas and ragas_status(pipeline.settings.llm.provider) is None:
        from eval.grounding.ragas_bridge import ragas_scores

        extra = ragas_scores(
            rows, pipeline.settings, pipeline.embedder, config.ragas_rows, config.progress
        )
        summary["metrics"] |= extra.pop("metrics")
        summary["ragas"] = extra
    failures = check_floors(summary["metrics"], config.minimums, config.maximums)
    if summary["counts"]["errors"]:
        failures.append(f"{summary['counts']['errors']} questions failed with an error")
    summary["run"] = {
        "title": config.title or config.set_path.stem,
        "set": str(config.set_path),
        "url": config.url,
        "backend": next((r["backend"] for r in rows if r["backend"]), None),
        "top_k": top_k,
        "support_threshold": threshold,
        "seconds": round(time.time() - began, 1),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "unjudged_passages": judge.unknown_passages,
        "judge": judged_by,
        **info,
    }
    summary["floors"] = {"min": config.minimums, "max": config.maximums, "failures": failures}
    config.out_dir.mkdir(parents=True, exist_ok=True)
    with (config.out_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    (config.out_dir / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    write_report(config.out_dir / "report.html", summary, rows)
    return summary, failures


def evaluate(
    config: EvalConfig, settings: Settings | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Run a set through the pipeline (or a service at config.url) and write the reports."""
    items = load_set(config.set_path)
    settings = settings or Settings()
    if config.provider:
        llm = settings.llm.model_copy(update={"provider": config.provider.lower()})
        settings = settings.model_copy(update={"llm": llm})
    with eval_pipeline(settings, items, config.corpus) as pipeline:
        top_k = config.top_k
        ask = ask_over_http(config.url, top_k) if config.url else ask_in_process(pipeline, top_k)
        return run_items(items, ask, pipeline, config, {})


def judge_name(requested: str, settings: Settings) -> str:
    """The judge a run uses: "auto" is the hosted judge when QA_JUDGE__BASE_URL is set."""
    if requested == "auto":
        return "hosted" if settings.judge.base_url else "score"
    if requested not in ("score", "reader", "hosted"):
        raise InputError(f"unknown judge {requested!r}: score, reader, hosted or auto")
    return requested


def entailment_judge(name: str, pipeline: Pipeline) -> Judge | None:
    """The entailment judge a named judge uses; None: qa.verify's score decides."""
    if name == "reader":
        return reader_judge(pipeline)
    if name == "hosted":
        from qa.llm.hosted_judge import build_hosted_judge

        return build_hosted_judge(pipeline.settings.judge).support
    return None


def reader_judge(pipeline: Pipeline) -> Judge:
    """The packaged reader as an entailment judge, loaded apart from the answerer's model."""
    from qa.llm.judge import EntailmentJudge
    from qa.llm.local import load_local_model

    llm = pipeline.settings.llm.model_copy(update={"model_path": None, "local_model": "reader"})
    return EntailmentJudge(load_local_model(llm)).support


def ragas_status(provider: str) -> str | None:
    """Why Ragas metrics are not in the report, and what to install or configure; None: they are.

    Ragas is imported only when it is about to run: importing it patches asyncio (nest_asyncio).
    """
    import importlib.util

    if importlib.util.find_spec("ragas") is None:
        return (
            "Ragas metrics skipped: Ragas is not installed (make install-llm, or pip install "
            "ragas==0.3.1) and it needs an LLM judge (QA_LLM__PROVIDER=openai with "
            "QA_LLM__BASE_URL and QA_LLM__MODEL)."
        )
    if provider == "extractive":
        return (
            "Ragas metrics skipped: Ragas needs an LLM judge; configure one with "
            "QA_LLM__PROVIDER=openai, QA_LLM__BASE_URL and QA_LLM__MODEL."
        )
    if provider != "openai":
        return (
            f"Ragas metrics skipped: the Ragas judge is reached through an OpenAI-compatible "
            f"endpoint only (QA_LLM__PROVIDER=openai), not {provider}; llama.cpp's server and "
            "Ollama's /v1 both offer one."
        )
    try:
        import ragas  # noqa: F401
    except ImportError as exc:
        return f"Ragas metrics skipped: Ragas is installed but does not import: {exc}"
    return None
