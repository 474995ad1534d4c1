"""Does the reader's prompt still hold the answer? Key-fact coverage against prompt length.

No model writes anything: for every answerable question of a grounding set, the passages are
retrieved as `ask` does and cut as the reader's prompt would be under each setting; a key fact
counts as covered when the cut passages state it, by the eval's own key-fact match
(eval.grounding.metrics.key_fact_recall). Tokens are counted with the reader's own tokenizer.
The prompt-length knobs (QA_LLM__PASSAGE_SENTENCES, QA_LLM__PROMPT_SENTENCES) were chosen on
this, then checked with the reader (eval/BENCHMARKS.md).

    python -m eval.bench.prompt_coverage [--set FILE] [--json]
"""

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from eval.bench.timing import emit
from eval.grounding.metrics import key_fact_recall
from index.ingest import SAMPLE_CORPUS, index_documents, plan_paths
from qa.llm.chat import passage_blocks
from qa.pipeline import build_pipeline
from qa.settings import Settings
from qa.types import Turn

SAMPLE_SET = Path(__file__).resolve().parents[1] / "grounding" / "sets" / "sample_corpus.jsonl"
# label -> (passage_sentences, prompt_sentences)
CUTS = {
    "1 per passage": (1, 0),
    "2 per passage": (2, 0),
    "3 per passage": (3, 0),
    "4 per passage": (4, 0),
    "whole passages": (0, 0),
    "best 6 overall": (3, 6),
    "best 8 overall": (3, 8),
    "best 10 overall": (3, 10),
}


def run(question_set: Path) -> dict[str, Any]:
    from llama_cpp import Llama

    from qa.llm.local import model_file

    settings = Settings(_env_file=None)
    llm = settings.llm
    vocab = Llama(model_path=str(model_file(llm)), vocab_only=True, verbose=False)
    rows = [json.loads(line) for line in question_set.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r.get("key_facts") and r.get("kind") != "unanswerable"]
    covered = dict.fromkeys(CUTS, 0.0)
    tokens = dict.fromkeys(CUTS, 0)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = build_pipeline(Settings(_env_file=None, store={"path": Path(tmp)}))
        index_documents(pipeline, plan_paths([SAMPLE_CORPUS], 10**8).documents)
        for row in rows:
            history = [Turn(**t) for t in row.get("history", [])]
            context, _, _ = pipeline._prepare(row["user_input"], None, None, history)
            for label, (each, overall) in CUTS.items():
                cut = llm.model_copy(
                    update={"passage_sentences": each, "prompt_sentences": overall}
                )
                blocks = passage_blocks(context, cut)
                covered[label] += key_fact_recall(blocks, row["key_facts"]) or 0.0
                tokens[label] += len(vocab.tokenize(blocks.encode(), add_bos=False))
        pipeline.close()
    return {
        "questions": len(rows),
        "cuts": {
            label: {
                "key_fact_coverage": round(covered[label] / len(rows), 3),
                "passage_tokens_mean": round(tokens[label] / len(rows)),
            }
            for label in CUTS
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SAMPLE_SET, help="grounding set (JSONL)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run(args.set), args.json)


if __name__ == "__main__":
    main()
