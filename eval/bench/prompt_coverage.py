"""Does the reader's prompt still hold the answer? Key-fact coverage against prompt length.

No model writes anything: for every answerable question of a grounding set, the passages are
retrieved as `ask` does and cut as the reader's prompt would be under each setting; a key fact
counts as covered when the cut passages state it, by the eval's own key-fact match
(eval.grounding.metrics.key_fact_recall). Tokens are counted with the reader's own tokenizer.
The prompt-length knobs (QA_LLM__PASSAGE_SENTENCES, QA_LLM__PROMPT_SENTENCES) were chosen on
this, then checked with the reader (eval/BENCHMARKS.md).

    python -m eval.bench.prompt_coverage [--set FILE | --squad tune|report | --rgb]
        [--answerable N --seed S] [--json]

The default is the sample set; --squad tune samples SQuAD 2.0 tuning articles (the set the
score gap was chosen on, beside the sample set), --squad report and --rgb held-out ones.
"""

import argparse
from typing import Any

from eval.bench.sources import add_source_arguments, source_pipeline
from eval.bench.timing import emit
from eval.grounding.metrics import key_fact_recall
from qa.llm.passages import passage_blocks
from qa.settings import Settings
from qa.types import Turn

# label -> (passage_sentences, prompt_sentences, prompt_score_gap)
CUTS = {
    "1 per passage": (1, 0, 0.0),
    "2 per passage": (2, 0, 0.0),
    "3 per passage": (3, 0, 0.0),
    "4 per passage": (4, 0, 0.0),
    "whole passages": (0, 0, 0.0),
    "best 4 overall": (3, 4, 0.0),
    "best 6 overall": (3, 6, 0.0),
    "best 8 overall": (3, 8, 0.0),
    "best 10 overall": (3, 10, 0.0),
    "best 8, gap 0.10": (3, 8, 0.10),
    "best 8, gap 0.15": (3, 8, 0.15),
    "best 8, gap 0.20": (3, 8, 0.20),
}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from llama_cpp import Llama

    from qa.llm.local import model_file

    settings = Settings(_env_file=None)
    llm = settings.llm
    vocab = Llama(model_path=str(model_file(llm)), vocab_only=True, verbose=False)
    covered = dict.fromkeys(CUTS, 0.0)
    tokens = dict.fromkeys(CUTS, 0)
    with source_pipeline(args, settings) as (pipeline, items):
        rows = [r for r in items if r.get("key_facts") and r.get("kind") != "unanswerable"]
        for row in rows:
            history = [Turn(t["role"], t["content"]) for t in row.get("history", [])]
            context, _, _ = pipeline._prepare(row["user_input"], None, None, history)
            for label, (each, overall, gap) in CUTS.items():
                cut = llm.model_copy(
                    update={
                        "passage_sentences": each,
                        "prompt_sentences": overall,
                        "prompt_score_gap": gap,
                    }
                )
                blocks = passage_blocks(context, cut)
                covered[label] += key_fact_recall(blocks, row["key_facts"]) or 0.0
                tokens[label] += len(vocab.tokenize(blocks.encode(), add_bos=False))
    return {
        "questions": len(rows),
        "layout": llm.passage_layout,
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
    add_source_arguments(parser, answerable=80, unanswerable=1, seed=7)
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run(args), args.json)


if __name__ == "__main__":
    main()
