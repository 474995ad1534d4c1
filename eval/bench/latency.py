"""Warm `ask` latency on the sample corpus against its floor: one embedding + one Chroma query.

python -m eval.bench.latency [--rounds 10] [--json]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench.timing import emit, summarize_ms
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from qa.settings import Settings

QUESTIONS = [
    "When did Putin visit Pyongyang?",
    "What did Russia veto in March?",
    "Who is Gabriela Bernal?",
    "What does the mutual assistance treaty provide for?",
    "What might North Korea receive in exchange for aiding Russia?",
    "How many missiles did North Korea launch in 2022?",
    "What is Japan's reaction to the pact?",
    "How could Moscow conduct financial transactions with Pyongyang?",
    "Why would Russia not want a full-blown defence treaty?",
    "What does China think about closer Russia-North Korea relations?",
    "What is the capital of France?",
    "Who won the 2018 football World Cup?",
]


def run(rounds: int) -> dict:
    """Time `rounds` passes over the questions, floor and full answer interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, store={"path": Path(tmp)})
        pipeline = build_pipeline(settings)
        index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
        embedder, store, top_k = pipeline.embedder, pipeline.store, settings.retrieval.top_k
        for question in QUESTIONS:  # warm-up: first calls pay for lazy initialisation
            pipeline.ask(question)
            store.search(embedder.encode([question])[0], top_k)
        floor: list[float] = []
        full: list[float] = []
        stages: dict[str, list[float]] = {}
        for _ in range(rounds):
            for question in QUESTIONS:
                began = time.perf_counter()
                store.search(embedder.encode([question])[0], top_k)
                floor.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                answer = pipeline.ask(question)
                full.append((time.perf_counter() - began) * 1000)
                for stage, ms in answer.timings_ms.items():
                    stages.setdefault(stage, []).append(ms)
        pipeline.close()
    result: dict[str, Any] = {
        "questions": len(QUESTIONS),
        "rounds": rounds,
        "floor_embed_plus_chroma_query": summarize_ms(floor),
        "ask_full_cited_answer": summarize_ms(full),
        "ask_stages": {stage: summarize_ms(ms)["p50_ms"] for stage, ms in stages.items()},
    }
    for q in ("p50", "p95"):
        result[f"ratio_{q}"] = round(
            result["ask_full_cited_answer"][f"{q}_ms"]
            / result["floor_embed_plus_chroma_query"][f"{q}_ms"],
            3,
        )
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=10, help="passes over the questions")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run(args.rounds), args.json)


if __name__ == "__main__":
    main()
