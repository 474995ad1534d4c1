"""The report escapes every text it shows and lists flagged questions first."""

from eval.grounding.report import render_report


def row(question: str, flags: list[str]) -> dict:
    return {
        "user_input": question,
        "retrieved_contexts": ["<i>passage</i>"],
        "response": "<script>alert(1)</script> [1]",
        "reference": "a & b",
        "reference_contexts": ["<quote>"],
        "kind": "single_fact",
        "history": [{"role": "user", "content": "<earlier>"}],
        "key_facts": ["<fact>"],
        "abstained": False,
        "passages": [{"source": "<doc>.txt", "start": 0, "end": 5}],
        "query": "<query>",
        "error": None,
        "metrics": {"mrr": 1.0, "faithfulness": None},
        "flags": flags,
    }


def test_report_escapes_text_and_puts_failures_first():
    summary = {
        "metrics": {"faithfulness": 0.5, "latency.total_ms.p50": 3.0},
        "by_kind": {"single_fact": {"n": 2, "abstain_rate": 0.0}},
        "latency_ms": {"total_ms": {"p50": 3.0, "p95": 4.0, "mean": 3.2}},
        "counts": {"questions": 2},
        "run": {"title": "<run>"},
        "floors": {"min": {"faithfulness": 0.9}, "failures": ["faithfulness < 0.9"]},
    }
    page = render_report(summary, [row("fine <ok>", []), row("broken <q>", ["wrong"])])
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    for raw in ("<i>passage", "<quote>", "<earlier>", "<fact>", "<doc>", "<query>", "<run>"):
        assert raw not in page
    assert page.index("broken &lt;q&gt;") < page.index("fine &lt;ok&gt;")
    assert "FAIL faithfulness &lt; 0.9" in page
