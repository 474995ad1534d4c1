"""How long a cited `llamacpp` answer takes with 5 passages, per prompt and decoding setting.

One process, one reader, the sample corpus; every question is asked under each configuration
in turn (the order rotates per question, so the shared machine's load falls on all alike),
each from an empty cache past the system turn. Prints p50/p95 of all answers and of the cited
ones, each configuration's ratio to the first, and the load average.

    python -m eval.bench.answer_speed [--rounds 1] [--configs NAME,NAME,...] [--json]
"""

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from eval.bench.latency import QUESTIONS
from eval.bench.timing import emit, percentile, summarize_ms
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from qa.settings import Settings

# name -> (LLM settings that differ, prompt-lookup draft length)
_OLD = {"passage_layout": "passage", "prompt_score_gap": 0.0}
CONFIGS: dict[str, tuple[dict[str, Any], int]] = {
    "before": ({**_OLD, "passage_sentences": 3, "prompt_sentences": 0}, 0),
    "budget": ({**_OLD, "prompt_sentences": 8}, 0),
    "lookup": ({**_OLD, "passage_sentences": 3, "prompt_sentences": 0}, 6),
    "budget+lookup": ({**_OLD, "prompt_sentences": 8}, 6),
    "grouped": ({"prompt_sentences": 8, "passage_layout": "document", "prompt_score_gap": 0.0}, 6),
    "grouped+gap": ({"prompt_sentences": 8, "passage_layout": "document"}, 6),
}


def run(names: list[str], rounds: int) -> dict[str, Any]:
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {n: [] for n in names}
    cited: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            _env_file=None,
            store={"path": Path(tmp)},
            llm={"provider": "llamacpp", "timeout_s": 120.0},
        )
        pipeline = build_pipeline(settings)
        index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
        answerer: Any = pipeline.answerer
        local = answerer.model.local
        pipeline.ask(QUESTIONS[0])  # warm-up: loads the reader, saves the system turns
        jobs = [(q, r) for r in range(rounds) for q in range(len(QUESTIONS))]
        for step, (q, _) in enumerate(tqdm(jobs, desc="questions", unit="q")):
            order = names[step % len(names) :] + names[: step % len(names)]
            for name in order:
                update, draft = CONFIGS[name]
                answerer.settings = settings.llm.model_copy(update=update)
                local.draft_tokens = draft
                local.llama.n_tokens = 0  # nothing of another configuration's prompt reused
                began = time.perf_counter()
                answer = pipeline.ask(QUESTIONS[q])
                elapsed = (time.perf_counter() - began) * 1000
                times[name].append(elapsed)
                if not answer.abstained and answer.citations and not answer.fallback:
                    cited[name].append(elapsed)
        pipeline.close()
    reference = percentile(times[names[0]], 50)
    result: dict[str, Any] = {
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
    }
    for name in names:
        result[name] = {
            "all": summarize_ms(times[name]),
            "cited": summarize_ms(cited[name]),
            "p50_ratio_to_" + names[0]: round(percentile(times[name], 50) / reference, 3),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="passes over the questions")
    parser.add_argument(
        "--configs",
        default="before,budget+lookup,grouped+gap",
        help=f"comma-separated, the first is the reference; of {', '.join(CONFIGS)}",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        parser.error(f"unknown configuration(s): {', '.join(unknown)}")
    emit(run(names, args.rounds), args.json)


if __name__ == "__main__":
    main()
