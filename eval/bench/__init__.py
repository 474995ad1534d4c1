"""Benchmarks and tuning runs: latency, indexing, retrieval, HTTP, LLM, SQuAD."""
