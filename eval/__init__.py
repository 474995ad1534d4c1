"""Benchmarks, evaluation sets and the grounding evaluation runner."""
