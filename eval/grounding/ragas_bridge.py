"""Ragas 0.3 metrics on the runner's results rows, judged by the configured OpenAI-compatible LLM.

Faithfulness runs on answered rows (abstentions have no statements to check); context precision
and context recall on rows whose question has reference contexts. A judgement Ragas cannot parse
(or a call that fails) is NaN: it is counted per metric, not raised, and left out of the mean.
"""

import math
import os
from collections.abc import Sequence
from typing import Any

from qa.settings import Settings

METRICS = ("faithfulness", "context_precision", "context_recall")  # as ragas.<name>
JUDGE_MAX_TOKENS = 512  # a Ragas verdict is short JSON; a weak model may otherwise ramble on


def _judge(settings: Settings) -> Any:
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    llm = settings.llm
    key = llm.api_key.get_secret_value() if llm.api_key else os.environ.get("OPENAI_API_KEY")
    return ChatOpenAI(
        base_url=llm.base_url,
        model=llm.model or "gpt-4o-mini",
        api_key=SecretStr(key or "not-needed"),
        timeout=llm.timeout_s,
        max_retries=0,
        temperature=0.0,
        max_tokens=JUDGE_MAX_TOKENS,  # type: ignore[call-arg]  # an alias mypy does not see
    )


def _usable(row: dict[str, Any]) -> bool:
    return not row.get("error") and bool(row["retrieved_contexts"])


def select_rows(rows: Sequence[dict[str, Any]]) -> dict[str, list[int]]:
    """Indexes of the rows each metric judges."""
    answered = [
        i for i, r in enumerate(rows) if _usable(r) and not r["abstained"] and r["response"]
    ]
    referenced = [i for i, r in enumerate(rows) if _usable(r) and r["reference_contexts"]]
    return {"faithfulness": answered, "context_precision": referenced, "context_recall": referenced}


def ragas_scores(
    rows: list[dict[str, Any]],
    settings: Settings,
    embeddings: Any,
    limit: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Mean Ragas scores as `ragas.<metric>`, with NaN counts; per-row scores go into each row.

    `rows` are the runner's results rows (Ragas' field names); only the first `limit` are judged.
    `embeddings` is a LangChain `Embeddings` (the project's Embedder), handed to Ragas for any
    metric that needs one.
    """
    os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
    from ragas import EvaluationDataset, RunConfig, SingleTurnSample, evaluate
    from ragas.embeddings import LangchainEmbeddingsWrapper
    from ragas.llms import LangchainLLMWrapper
    from ragas.metrics import Faithfulness, LLMContextPrecisionWithReference, LLMContextRecall

    # One request at a time (a local server queues the rest while their timeouts run), one
    # attempt per call, and room for context precision's one call per retrieved passage.
    run_config = RunConfig(
        timeout=int(settings.llm.timeout_s * 12), max_retries=1, max_wait=1, max_workers=1
    )
    llm = LangchainLLMWrapper(_judge(settings), run_config=run_config)
    wrapped_embeddings = LangchainEmbeddingsWrapper(embeddings, run_config=run_config)
    judged = rows[:limit] if limit is not None else rows
    chosen = select_rows(judged)
    groups = (
        (("faithfulness",), [Faithfulness()]),
        (
            ("context_precision", "context_recall"),
            [LLMContextPrecisionWithReference(), LLMContextRecall()],
        ),
    )
    means: dict[str, float | None] = {}
    nan_counts: dict[str, int] = {}
    counts: dict[str, int] = {}
    for names, metrics in groups:
        indexes = chosen[names[0]]
        for name in names:
            counts[f"ragas.{name}"] = len(indexes)
            nan_counts[f"ragas.{name}"] = 0
            means[f"ragas.{name}"] = None
        if not indexes:
            continue
        samples = [
            SingleTurnSample(
                user_input=judged[i]["user_input"],
                retrieved_contexts=judged[i]["retrieved_contexts"],
                response=judged[i]["response"],
                reference=judged[i]["reference"],
                reference_contexts=judged[i]["reference_contexts"],
            )
            for i in indexes
        ]
        result = evaluate(
            EvaluationDataset(samples=samples),
            metrics=metrics,
            llm=llm,
            embeddings=wrapped_embeddings,
            run_config=run_config,
            raise_exceptions=False,
            show_progress=progress,
        )
        for name, metric in zip(names, metrics, strict=True):
            values = [_number(v) for v in result[metric.name]]
            for i, value in zip(indexes, values, strict=True):
                judged[i]["metrics"][f"ragas.{name}"] = value
            scored = [v for v in values if v is not None]
            nan_counts[f"ragas.{name}"] = len(values) - len(scored)
            means[f"ragas.{name}"] = round(sum(scored) / len(scored), 4) if scored else None
    return {
        "metrics": means,
        "judged_rows": counts,
        "nan_counts": nan_counts,
        "judge": {"base_url": settings.llm.base_url, "model": settings.llm.model},
        "rows_limit": limit,
    }


def _number(value: Any) -> float | None:
    """A Ragas score, or None for NaN (an unparseable judgement or a failed call)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number
