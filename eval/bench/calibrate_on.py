"""Fit an answerer's refusal cut on a benchmark's tuning questions, as `qa calibrate` would.

    python -m eval.bench.calibrate_on (--squad tune | --rgb --exclude-seed S) --provider P
        [--answerable N --unanswerable N --seed S] [--write] [--json]

SQuAD 2.0: fit on the tuning articles (even-numbered), then report with
`eval.bench.squad_eval --split report`, which opens the same store and so applies the cut.
RGB has no article split: the questions a report run samples (`--exclude-answerable`,
`--exclude-unanswerable`, `--exclude-seed`, the report run's sizes and seed) are left out and
the cut is fitted on the rest. `--write` stores the cut beside the benchmark's store; delete
the `calibration-*.json` file there (or set QA_ANSWER__CALIBRATED=false) to go back.
"""

import argparse
import json
import sys

from eval.bench.sources import add_source_arguments, source_pipeline
from eval.grounding.calibrate import calibrate, format_calibration
from qa.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_source_arguments(parser, answerable=30, unanswerable=30, seed=7)
    parser.add_argument("--provider", default="extractive", help="extractive or llamacpp")
    parser.add_argument("--exclude-answerable", type=int, default=20)
    parser.add_argument("--exclude-unanswerable", type=int, default=20)
    parser.add_argument("--exclude-seed", type=int, help="RGB: leave out this report sample")
    parser.add_argument("--write", action="store_true", help="store the fitted cut if it holds")
    parser.add_argument("--force", action="store_true", help="with --write: store it anyway")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    if args.squad == "report":
        parser.error("fit on --squad tune; the report articles are held out")
    if args.rgb:
        if args.exclude_seed is None:
            parser.error("--rgb needs --exclude-seed (the report run's seed)")
        args.answerable = args.unanswerable = 10_000  # every question, less the report's
    settings = Settings()
    settings = settings.model_copy(
        update={"llm": settings.llm.model_copy(update={"provider": args.provider})}
    )
    with source_pipeline(args, settings) as (pipeline, items):
        source = f"squad {args.squad} seed {args.seed}" if args.squad else "sample set"
        if args.rgb:
            from eval.bench.rgb_eval import build_corpus, eval_items

            documents, questions = build_corpus(args.bench_dir / "rgb-en-fact")
            held_out = eval_items(
                questions,
                documents,
                args.exclude_answerable,
                args.exclude_unanswerable,
                args.exclude_seed,
            )
            report_ids = {i["id"] for i in held_out}
            items = [i for i in items if i["id"] not in report_ids]
            source = f"rgb less the report sample of seed {args.exclude_seed}"
        result = calibrate(pipeline, items, source, write=args.write, force=args.force)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"fitted on: {source}")
        print(format_calibration(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
