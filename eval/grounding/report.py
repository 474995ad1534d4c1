"""A self-contained report.html: figures as inline PNG, every text escaped, failures first."""

import base64
import io
import json
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

HEADLINE = (
    "retrieval.mrr",
    "citation.precision",
    "citation.recall",
    "faithfulness",
    "correctness.token_f1",
    "correctness.key_fact_recall",
    "abstention.precision",
    "abstention.recall",
)
DISTRIBUTIONS = ("mrr", "faithfulness", "citation_precision", "token_f1", "key_fact_recall")
_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1200px;color:#1d232a;
padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px}
.meta{color:#5a6570}.fail{color:#b3261e;font-weight:600}.pass{color:#1e7b34;font-weight:600}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e3e6ea;padding:5px 7px;
text-align:left;vertical-align:top}th{background:#f4f6f8;position:sticky;top:0}
tr.flagged{background:#fff4f2}.num{text-align:right;font-variant-numeric:tabular-nums}
.flag{display:inline-block;background:#fde3df;color:#8c1d18;border-radius:3px;padding:0 5px;
margin:1px;font-size:12px}.ok{color:#1e7b34}img{max-width:100%}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px}
div.wide{grid-column:1/-1}
details summary{cursor:pointer;color:#2458a6}blockquote{margin:4px 0 4px 8px;padding-left:8px;
border-left:3px solid #d0d5db;color:#3b444d}.small{font-size:12px;color:#5a6570}
"""
_SCRIPT = """
document.getElementById('only-flagged').addEventListener('change', e => {
  for (const row of document.querySelectorAll('#questions tbody tr'))
    row.hidden = e.target.checked && !row.classList.contains('flagged');
});
"""


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(data: str, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def render_figures(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> list[str]:
    """Metric bars with floors, results by kind, score histograms and latency per stage."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    values = summary["metrics"]
    floors = summary.get("floors", {}).get("min", {})
    ceilings = summary.get("floors", {}).get("max", {})
    images = []

    names = [n for n in values if not n.startswith("latency.") and values[n] is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * len(names) + 0.8))
    bars = [values[n] for n in names]
    colors = [
        "#b3261e"
        if (n in floors and values[n] < floors[n]) or (n in ceilings and values[n] > ceilings[n])
        else "#3a6fb0"
        for n in names
    ]
    ax.barh(names, bars, color=colors)
    for i, name in enumerate(names):
        inside = bars[i] > 0.85
        x, align = (bars[i] - 0.01, "right") if inside else (bars[i] + 0.01, "left")
        color = "white" if inside else "black"
        ax.text(x, i, f"{bars[i]:.3f}", va="center", ha=align, fontsize=8, color=color)
        if name in floors:
            ax.plot([floors[name]] * 2, [i - 0.4, i + 0.4], color="black", lw=1.5)
        if name in ceilings:
            ax.plot([ceilings[name]] * 2, [i - 0.4, i + 0.4], color="black", lw=1.5, ls=":")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_title("Scores (tick: floor; dotted: ceiling)", fontsize=10)
    ax.tick_params(labelsize=8)
    images.append(_img(_png(fig), "scores per metric"))
    plt.close(fig)

    by_kind = summary.get("by_kind", {})
    if by_kind:
        kinds = list(by_kind)
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        series = ("abstain_rate", "key_fact_recall", "mrr")
        for j, name in enumerate(series):
            heights = [by_kind[k].get(name) or 0 for k in kinds]
            ax.bar([i + (j - 1) * 0.27 for i in range(len(kinds))], heights, 0.27, label=name)
        ax.set_xticks(range(len(kinds)), kinds, fontsize=7, rotation=20)
        ax.set_ylim(0, 1.05)
        ax.set_title("By kind of question", fontsize=10)
        ax.legend(fontsize=7)
        images.append(_img(_png(fig), "results by kind"))
        plt.close(fig)
    fig, axes = plt.subplots(1, len(DISTRIBUTIONS), figsize=(12, 2.4), sharey=True)
    for ax, name in zip(axes, DISTRIBUTIONS, strict=True):
        data = [r["metrics"][name] for r in rows if r["metrics"].get(name) is not None]
        ax.hist(data, bins=[i / 10 for i in range(11)], color="#3a6fb0", edgecolor="white")
        ax.set_title(f"{name} (n={len(data)})", fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel("questions", fontsize=8)
    fig.suptitle("Per-question score distributions", fontsize=10, y=1.04)
    images.append(_img(_png(fig), "score distributions").replace("<img", '<img class="wide"'))
    plt.close(fig)

    latency = summary.get("latency_ms", {})
    if latency:
        stages = list(latency)
        fig, ax = plt.subplots(figsize=(6.4, 2.8))
        x = range(len(stages))
        ax.bar([i - 0.2 for i in x], [latency[s]["p50"] for s in stages], 0.4, label="p50")
        ax.bar([i + 0.2 for i in x], [latency[s]["p95"] for s in stages], 0.4, label="p95")
        ax.set_xticks(list(x), stages, fontsize=8)
        ax.set_ylabel("ms", fontsize=8)
        ax.set_title("Latency per stage", fontsize=10)
        ax.legend(fontsize=8)
        images.append(_img(_png(fig), "latency per stage"))
        plt.close(fig)

    return images


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)


def _question_row(number: int, row: dict[str, Any]) -> str:
    m = row["metrics"]
    flags = "".join(f'<span class="flag">{escape(f)}</span>' for f in row["flags"])
    if row["error"]:
        answer = f'<span class="fail">error: {escape(row["error"])}</span>'
    else:
        answer = ("<i>abstained</i> " if row["abstained"] else "") + escape(row["response"])
    passages = "".join(
        f"<li>{escape(str(p.get('source')))} {p.get('start')}–{p.get('end')}: "
        f"{escape(text[:400])}</li>"
        for p, text in zip(row["passages"], row["retrieved_contexts"], strict=True)
    )
    references = "".join(f"<blockquote>{escape(q)}</blockquote>" for q in row["reference_contexts"])
    history = "".join(
        f'<div class="small">{escape(t["role"])}: {escape(t["content"])}</div>'
        for t in row["history"]
    )
    details = (
        f"<details><summary>details</summary><b>Reference:</b> {escape(row['reference'])}"
        f"{references}<b>Key facts:</b> {escape(json.dumps(row['key_facts'], ensure_ascii=False))}"
        f"<br><b>Query:</b> {escape(str(row['query']))}<ol>{passages}</ol></details>"
    )
    cells = "".join(
        f'<td class="num">{_fmt(m.get(k))}</td>'
        for k in ("mrr", "citation_precision", "faithfulness", "token_f1", "key_fact_recall")
    )
    return (
        f'<tr class="{"flagged" if row["flags"] else ""}"><td class="num">{number}</td>'
        f"<td>{escape(row['kind'])}</td><td>{history}{escape(row['user_input'])}</td>"
        f"<td>{answer}{details}</td><td>{flags or '<span class=ok>ok</span>'}</td>{cells}</tr>"
    )


def render_report(summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> str:
    """The whole page as one string."""
    run = summary.get("run", {})
    failures = summary.get("floors", {}).get("failures", [])
    verdict = (
        "".join(f'<div class="fail">FAIL {escape(f)}</div>' for f in failures)
        if failures
        else '<div class="pass">All floors met.</div>'
    )
    metric_rows = "".join(
        f"<tr><td>{escape(k)}</td><td class=num>{_fmt(v)}</td>"
        f"<td class=num>{_fmt(summary.get('floors', {}).get('min', {}).get(k))}</td></tr>"
        for k, v in summary["metrics"].items()
    ) + "".join(
        f"<tr><td>{escape(k)} NaN judgements</td><td class=num>{v}</td><td></td></tr>"
        for k, v in summary.get("ragas", {}).get("nan_counts", {}).items()
    )
    kind_rows = "".join(
        f"<tr><td>{escape(kind)}</td>"
        + "".join(f"<td class=num>{_fmt(v)}</td>" for v in stats.values())
        + "</tr>"
        for kind, stats in summary.get("by_kind", {}).items()
    )
    kind_head = "".join(
        f"<th>{escape(k)}</th>" for k in next(iter(summary.get("by_kind", {}).values()), {})
    )
    order = sorted(range(len(rows)), key=lambda i: (-len(rows[i]["flags"]), rows[i]["kind"], i))
    questions = "".join(_question_row(i + 1, rows[i]) for i in order)
    counts = summary.get("counts", {})
    figures = "".join(
        f'<div class="wide">{img}</div>' if 'class="wide"' in img else f"<div>{img}</div>"
        for img in render_figures(summary, rows)
    )
    title = escape(str(run.get("title", "")))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Grounding eval: {title}</title>
<style>{_CSS}</style></head><body>
<h1>Grounding evaluation: {title}</h1>
<div class="meta">{escape(str(counts.get("questions")))} questions · backend
{escape(str(run.get("backend")))} · top_k {escape(str(run.get("top_k")))} · set
{escape(str(run.get("set")))} · {escape(str(run.get("finished")))} ·
{escape(str(run.get("seconds")))} s</div>
{verdict}
<div class="meta">{escape(str(counts.get("flagged")))} flagged questions,
{escape(str(counts.get("abstained")))} abstentions, {escape(str(counts.get("errors")))} errors.
A claim is judged supported when the project's support check scores it at least
{escape(str(run.get("support_threshold")))} against some evidence sentence.</div>
<h2>Figures</h2><div class="grid">{figures}</div>
<h2>Metrics</h2><table style="max-width:560px"><tr><th>metric</th><th>value</th><th>floor</th></tr>
{metric_rows}</table>
<h2>By kind</h2><table><tr><th>kind</th>{kind_head}</tr>{kind_rows}</table>
<h2>Questions</h2>
<label><input type="checkbox" id="only-flagged"> show flagged only</label>
<p class="small">Questions with the most flags come first. Columns: MRR, citation precision,
faithfulness, token F1, key-fact recall.</p>
<table id="questions"><thead><tr><th>#</th><th>kind</th><th>question</th><th>answer</th>
<th>flags</th><th>MRR</th><th>cit.P</th><th>faith</th><th>F1</th><th>facts</th></tr></thead>
<tbody>{questions}</tbody></table>
<script>{_SCRIPT}</script>
</body></html>
"""


def write_report(path: Path, summary: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
    path.write_text(render_report(summary, rows), encoding="utf-8")
