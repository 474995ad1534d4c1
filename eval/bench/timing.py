"""Small shared helpers for benchmarks: percentiles and a JSON/plain report."""

import json
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summarize_ms(values: Sequence[float]) -> dict[str, float]:
    """p50, p95, mean and count of a list of milliseconds."""
    return {
        "p50_ms": round(percentile(values, 50), 3),
        "p95_ms": round(percentile(values, 95), 3),
        "mean_ms": round(statistics.fmean(values), 3) if values else float("nan"),
        "n": len(values),
    }


def emit(result: dict[str, Any], as_json: bool) -> None:
    """Print a benchmark result as JSON, or as indented key: value lines."""
    if as_json:
        print(json.dumps(result, indent=2))
        return

    def walk(data: dict[str, Any], depth: int) -> None:
        for key, value in data.items():
            if isinstance(value, dict):
                print("  " * depth + f"{key}:")
                walk(value, depth + 1)
            else:
                print("  " * depth + f"{key}: {value}")

    walk(result, 0)
