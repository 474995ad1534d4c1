"""The grounding evaluation: eval sets, metrics, runner, summary and report."""
