"""The eval summary: per-metric means, per-kind figures, floors and ceilings, plain text."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.grounding import metrics
from qa.errors import InputError

KINDS = (
    "single_fact",
    "paraphrase",
    "multi_sentence",
    "both_documents",
    "unanswerable",
    "false_premise",
    "follow_up",
)


def should_abstain(item: dict[str, Any]) -> bool:
    return item["kind"] == "unanswerable"


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize(rows: Sequence[dict[str, Any]], k_values: Sequence[int]) -> dict[str, Any]:
    """Mean scores, abstention, latency and a breakdown by kind; every value is rounded."""
    ok = [r for r in rows if not r["error"]]

    def avg(name: str, subset: Sequence[dict[str, Any]] = ok) -> float | None:
        return _r(metrics.mean(r["metrics"][name] for r in subset))

    judged = [r for r in ok if r["kind"] != "false_premise"]
    abstention = metrics.abstention_scores(
        [should_abstain(r) for r in judged], [r["abstained"] for r in judged]
    )
    values: dict[str, float | None] = {
        f"retrieval.recall@{k}": avg(f"recall@{k}") for k in k_values
    }
    values |= {
        "retrieval.mrr": avg("mrr"),
        "citation.precision": avg("citation_precision"),
        "citation.recall": avg("citation_recall"),
        "faithfulness": avg("faithfulness"),
        "correctness.token_f1": avg("token_f1"),
        "correctness.key_fact_recall": avg("key_fact_recall"),
    }
    values |= {f"abstention.{k}": _r(v) for k, v in abstention.items() if not k.endswith("ions")}
    latency = metrics.latency_by_stage([r["timings_ms"] for r in ok])
    for stage, stats in latency.items():
        values |= {f"latency.{stage}.{q}": _r(stats[q]) for q in ("p50", "p95")}
    by_kind = {}
    for kind in KINDS:
        subset = [r for r in ok if r["kind"] == kind]
        if subset:
            by_kind[kind] = {
                "n": len(subset),
                "abstain_rate": _r(sum(r["abstained"] for r in subset) / len(subset)),
                **{m: avg(m, subset) for m in (f"recall@{max(k_values)}", "mrr")},
                **{m: avg(m, subset) for m in ("key_fact_recall", "token_f1", "faithfulness")},
                "citation_precision": avg("citation_precision", subset),
            }
    return {
        "metrics": values,
        "by_kind": by_kind,
        "latency_ms": {s: {q: _r(v) for q, v in stats.items()} for s, stats in latency.items()},
        "counts": {
            "questions": len(rows),
            "errors": len(rows) - len(ok),
            "flagged": sum(1 for r in rows if r["flags"]),
            "answered": sum(1 for r in ok if not r["abstained"]),
            "fallbacks": sum(1 for r in ok if r.get("fallback")),
            "abstained": sum(1 for r in ok if r["abstained"]),
            **{k: v for k, v in abstention.items() if k.endswith("ions")},
        },
    }


def check_floors(
    values: dict[str, float | None], minimums: dict[str, float], maximums: dict[str, float]
) -> list[str]:
    """Messages for each metric below its floor (or above its ceiling); unknown names fail."""
    problems = []
    for bound, limits in (("min", minimums), ("max", maximums)):
        for name, limit in sorted(limits.items()):
            if name not in values:
                problems.append(f"unknown metric {name!r}; known: {', '.join(sorted(values))}")
            elif values[name] is None:
                problems.append(f"{name} could not be measured (floor {limit})")
            elif bound == "min" and values[name] < limit:  # type: ignore[operator]
                problems.append(f"{name} = {values[name]} is below the floor {limit}")
            elif bound == "max" and values[name] > limit:  # type: ignore[operator]
                problems.append(f"{name} = {values[name]} is above the ceiling {limit}")
    return problems


def read_thresholds(path: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Floors and ceilings from JSON: {"min": {metric: value}, "max": {...}}."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not set(data) <= {"min", "max", "comment"}:
        raise InputError(f"{path}: expected an object with 'min' and/or 'max' maps")
    return (
        {k: float(v) for k, v in data.get("min", {}).items()},
        {k: float(v) for k, v in data.get("max", {}).items()},
    )


def parse_bounds(pairs: Sequence[str]) -> dict[str, float]:
    """METRIC=VALUE pairs from the command line."""
    bounds = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            bounds[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise InputError(f"expected METRIC=VALUE, got {pair!r}")
    return bounds


# -- running ---------------------------------------------------------------------------


def format_summary(summary: dict[str, Any]) -> str:
    """The figures for a terminal: one metric a line, then any failed floors."""
    run = summary["run"]
    lines = [
        f"{run['title']}: {summary['counts']['questions']} questions, backend {run['backend']}"
    ]
    for name, value in summary["metrics"].items():
        lines.append(f"  {name:34} {'n/a' if value is None else f'{value:.4f}'}")
    for name, count in summary.get("ragas", {}).get("nan_counts", {}).items():
        lines.append(f"  {name + ' NaN judgements':34} {count}")
    for failure in summary["floors"]["failures"]:
        lines.append(f"FAIL {failure}")
    return "\n".join(lines)
