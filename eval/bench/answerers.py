"""The answerers side by side: one table from the summary.json of several eval runs.

    python -m eval.bench.answerers eval/out/sample-extractive eval/out/sample-select ... [--json]

Each folder is the --out of `qa eval` or `python -m eval.bench.squad_eval`.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COLUMNS = {
    "key-fact recall": "correctness.key_fact_recall",
    "token F1": "correctness.token_f1",
    "abstention precision": "abstention.precision",
    "abstention recall": "abstention.recall",
    "false abstention": "abstention.false_abstention_rate",
    "faithfulness": "faithfulness",
    "citation precision": "citation.precision",
    "p50 ms": "latency.total_ms.p50",
    "p95 ms": "latency.total_ms.p95",
}


def row(folder: Path) -> dict[str, Any]:
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    metrics, run = summary["metrics"], summary["run"]
    out: dict[str, Any] = {
        "run": folder.name,
        "backend": run.get("backend"),
        "judge": run.get("judge", "score"),
    }
    for label, key in COLUMNS.items():
        out[label] = metrics.get(key)
    recall = metrics.get("abstention.recall")
    false = metrics.get("abstention.false_abstention_rate")
    if recall is not None and false is not None:
        out["balanced accuracy"] = (recall + 1 - false) / 2
    return out


def table(rows: Sequence[dict[str, Any]]) -> str:
    heads = list(rows[0])
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for r in rows:
        cells = [f"{v:.3g}" if isinstance(v, float) else str(v) for v in r.values()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench.answerers", description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path, help="eval output folders")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    rows = [row(f) for f in args.folders]
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
