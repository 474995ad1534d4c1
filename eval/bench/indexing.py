"""Indexing throughput (chunks/s) against the raw sentence-transformers encode rate.

Indexes whole SQuAD 2.0 dev articles (../shared/bench, when present) or else the sample
corpus through the real pipeline (chunking, encoding, Chroma, catalog), then encodes the
very same chunk texts with `SentenceTransformer.encode`, in the same run.

    python -m eval.bench.indexing [--articles 6] [--json]
"""

import argparse
import json
import tempfile
import time
from pathlib import Path

from eval.bench.timing import emit
from index.ingest import SAMPLE_CORPUS, build_document, index_documents, plan_paths
from index.load import Loaded
from qa.pipeline import build_pipeline
from qa.settings import Settings
from qa.types import Document

SQUAD_ARTICLES = (
    Path(__file__).resolve().parents[3] / "shared" / "bench" / "squad-v2-dev" / "articles.jsonl"
)


def load_documents(articles: int) -> tuple[str, list[Document]]:
    """Documents to index: the first SQuAD articles, or the sample corpus without ../shared."""
    if not SQUAD_ARTICLES.is_file():
        return "sample corpus", plan_paths([SAMPLE_CORPUS], 10**8).documents
    docs = []
    with SQUAD_ARTICLES.open(encoding="utf-8") as lines:
        for line, _ in zip(lines, range(articles), strict=False):
            row = json.loads(line)
            docs.append(
                build_document(f"{row['article_id']}.txt", Loaded(row["text"], row["title"]))
            )
    return f"SQuAD 2.0 dev, first {len(docs)} articles", docs


def run(articles: int) -> dict:
    corpus, documents = load_documents(articles)
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = build_pipeline(Settings(_env_file=None, store={"path": Path(tmp)}))
        embedder = pipeline.embedder
        embedder.encode(["warm up the model"] * 4)
        began = time.perf_counter()
        results = index_documents(pipeline, documents)
        index_s = time.perf_counter() - began
        view = pipeline.catalog.view()
        texts = [view.documents[c.doc_id].text[c.start : c.end] for c in view.chunks.values()]
        began = time.perf_counter()
        embedder.model.encode(texts, batch_size=embedder.batch_size, show_progress_bar=False)
        raw_s = time.perf_counter() - began
        pipeline.close()
    chunks = sum(r.chunks for r in results)
    return {
        "corpus": corpus,
        "documents": len(documents),
        "chunks": chunks,
        "mean_chunk_chars": round(sum(map(len, texts)) / len(texts)),
        "pipeline_chunks_per_s": round(chunks / index_s, 2),
        "raw_encode_chunks_per_s": round(len(texts) / raw_s, 2),
        "ratio": round((chunks / index_s) / (len(texts) / raw_s), 3),
        "note": "pipeline = chunking + chunk and sentence vectors + Chroma upsert + catalog commit",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=6, help="SQuAD articles to index")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    emit(run(args.articles), args.json)


if __name__ == "__main__":
    main()
