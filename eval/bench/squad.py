"""SQuAD 2.0 dev as a benchmark: normalised articles with gold spans, questions, cached vectors."""

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from index.ingest import chunk_document
from index.normalize import normalize_text
from qa.pipeline import Pipeline, build_pipeline
from qa.settings import Settings
from qa.types import Document

DEFAULT_BENCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "bench" / "squad-v2-dev"
OUT_DIR = Path(__file__).resolve().parents[1] / "out"


@dataclass(frozen=True)
class Article:
    """One whole article as the product stores it, with each paragraph's span in its text."""

    document: Document
    spans: dict[str, tuple[int, int]]  # gold paragraph id -> [start, end) in document.text


@dataclass(frozen=True)
class Question:
    """One SQuAD question with its gold paragraph and answers."""

    id: str
    question: str
    title: str
    gold_doc_id: str
    is_impossible: bool
    answers: tuple[str, ...]


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_articles(bench_dir: Path) -> list[Article]:
    """The 35 articles, each paragraph normalised as ingestion would and rejoined with blank lines.

    Offsets in the store are into normalised text, so the gold spans are recomputed here.
    """
    articles = []
    for row in _read_jsonl(bench_dir / "articles.jsonl"):
        parts = [
            (p["doc_id"], normalize_text(row["text"][p["start"] : p["end"]]))
            for p in row["paragraphs"]
        ]
        spans: dict[str, tuple[int, int]] = {}
        cursor = 0
        for doc_id, text in parts:
            spans[doc_id] = (cursor, cursor + len(text))
            cursor += len(text) + 2
        text = "\n\n".join(t for _, t in parts)
        if normalize_text(text) != text:
            raise ValueError(f"{row['article_id']}: rejoined text is not normalised")
        document = Document(
            doc_id=row["article_id"],
            title=row["title"].replace("_", " "),
            source=f"{row['title']}.txt",
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        )
        articles.append(Article(document, spans))
    return articles


def load_questions(bench_dir: Path) -> list[Question]:
    """Every question of the dev set, in file order."""
    return [
        Question(
            r["id"],
            r["question"],
            r["title"],
            r["gold_doc_id"],
            bool(r["is_impossible"]),
            tuple(r["answers"]),
        )
        for r in _read_jsonl(bench_dir / "questions.jsonl")
    ]


def gold_spans(articles: Iterable[Article]) -> dict[str, tuple[str, int, int]]:
    """Gold paragraph id -> (article doc id, start, end) in the stored text."""
    return {p: (a.document.doc_id, *span) for a in articles for p, span in a.spans.items()}


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """True when two [start, end) spans share at least one character."""
    return a[0] < b[1] and b[0] < a[1]


def bench_settings(store_path: Path, **sections: Any) -> Settings:
    """Settings with a private store and code defaults elsewhere (no `.env`)."""
    store = {"path": store_path, "collection": "squad_bench", **sections.pop("store", {})}
    return Settings(_env_file=None, store=store, **sections)


def index_articles(
    pipeline: Pipeline, articles: Sequence[Article], tick: Callable[[int], None] | None = None
) -> int:
    """Chunk with the project's own splitter and index; skips articles already current."""
    for article in articles:
        document = article.document
        if not pipeline.is_current(document):
            pipeline.add_document(document, chunk_document(pipeline, document))
        if tick:
            tick(1)
    return len(pipeline.catalog.view().chunks)


def store_path_for(settings: Settings, tag: str = "") -> Path:
    """A cache folder for a built index, keyed by what decides its chunks."""
    s = settings.index
    return OUT_DIR / f"squad-store{tag}-{s.chunk_tokens}-{s.overlap_tokens}"


def open_cached_pipeline(tag: str = "", **sections: Any) -> Pipeline:
    """A pipeline over the cached store for `tag` and what decides its chunks in `sections`;
    index_articles fills it the first time. One store per encoder (QA_EMBEDDINGS__BACKEND):
    vectors of two never mix."""
    sized = bench_settings(Path("."), **sections)
    backend = sized.embeddings.backend
    store = store_path_for(sized, tag + ("" if backend == "torch" else f"-{backend}"))
    return build_pipeline(bench_settings(store, **sections))


def embed_questions(pipeline: Pipeline, questions: Sequence[Question]) -> np.ndarray:
    """Question vectors, cached under eval/out by model name; only new questions are encoded."""
    path = OUT_DIR / f"question-vectors-{pipeline.embedder.name}.npz"
    cache: dict[str, np.ndarray] = {}
    if path.exists():
        with np.load(path) as saved:
            cache = dict(zip(saved["ids"].tolist(), saved["vectors"], strict=True))
    missing = [q for q in questions if q.id not in cache]
    if missing:
        vectors = pipeline.embedder.encode([q.question for q in missing])
        cache.update(zip((q.id for q in missing), vectors, strict=True))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, ids=np.array(list(cache)), vectors=np.stack(list(cache.values())))
    return np.stack([cache[q.id] for q in questions])
