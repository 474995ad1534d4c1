"""Paths -> documents -> chunks -> the pipeline's store, checking everything before writing."""

import hashlib
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from index.budget import shown_name
from index.load import META_SUFFIX, SUPPORTED, Loaded, check_type, load_bytes, read_sidecar
from index.normalize import normalize_text
from index.split import document_id, split_document
from qa.embeddings import Embedder
from qa.errors import InputError, QAError, UnreadableDocument
from qa.pipeline import IndexResult, Pipeline
from qa.settings import IndexSettings
from qa.types import Chunk, Document
from qa.write import StagedDocument

SAMPLE_CORPUS = Path(__file__).resolve().parent / "corpus"
Progress = Callable[[int], None]
EMBED_GROUP_CHUNKS = 256  # chunks embedded (sorted by length) and written together


@dataclass
class Plan:
    """Files found under the given paths, read and checked, not yet written."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unsupported types found in folders
    failed: list[str] = field(default_factory=list)  # error messages, when told to go on


def find_files(paths: Sequence[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
    """(file, source name) for every file to index, and the unsupported ones met in folders.

    A folder's files are named relative to the folder, so the ids do not depend on where
    the folder sits on disk; a file given by itself is named by its file name.
    """
    found: list[tuple[Path, str]] = []
    skipped: list[str] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder")
        if path.is_file():
            check_type(path.name)
            found.append((path, path.name))
            continue
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            relative = file.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if file.name.endswith(META_SUFFIX):
                continue
            if file.suffix.lower() in SUPPORTED:
                found.append((file, relative.as_posix()))
            else:
                skipped.append(str(file))
    return found, skipped


def build_document(source: str, loaded: Loaded, meta: dict[str, str] | None = None) -> Document:
    """A normalised Document for a loaded file; refuses one with no text left."""
    text = normalize_text(loaded.text)
    if not text:
        raise UnreadableDocument(f"{shown_name(source)}: no text left after extraction")
    meta = meta or {}
    title = meta.get("title") or normalize_text(loaded.title) or _title_from(source)
    return Document(
        doc_id=document_id(source),
        title=title,
        source=source,
        text=text,
        author=meta.get("author") or normalize_text(loaded.author),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def plan_paths(
    paths: Sequence[Path],
    max_bytes: int,
    keep_going: bool = False,
    limits: IndexSettings | None = None,
) -> Plan:
    """Read and check every file first, so a bad one stops the run before any write;
    each file is read within the time and size budget of `limits`."""
    files, skipped = find_files(paths)
    plan = Plan(skipped=skipped)
    for file, source in files:
        try:
            size = file.stat().st_size
            if size > max_bytes:
                raise UnreadableDocument(
                    f"{shown_name(str(file))}: {size / 1e6:.1f} MB is over the "
                    f"{max_bytes / 1e6:.1f} MB limit (QA_INDEX__MAX_FILE_MB)"
                )
            loaded = load_bytes(str(file), file.read_bytes(), limits)
            plan.documents.append(build_document(source, loaded, read_sidecar(file)))
        except QAError as exc:
            if not keep_going:
                raise
            plan.failed.append(exc.message)
    if not plan.documents and not plan.failed:
        raise InputError(f"no supported files ({', '.join(SUPPORTED)}) under {_names(paths)}")
    return plan


def chunk_document(
    pipeline: Pipeline, document: Document, embedder: Embedder | None = None
) -> list[Chunk]:
    """The document's chunks, sized with the pipeline's embedding model (or `embedder`)."""
    embedder = embedder or pipeline.embedder
    settings = pipeline.settings.index
    return split_document(
        document,
        embedder.count_tokens,
        settings.chunk_tokens,
        settings.overlap_tokens,
        embedder.max_tokens - 2,
    )


def index_documents(
    pipeline: Pipeline,
    documents: Sequence[Document],
    progress: Callable[[int], Progress | None] | None = None,
) -> list[IndexResult]:
    """Index each document, all or nothing per document; skips those already current.

    Documents go in groups of about EMBED_GROUP_CHUNKS chunks: a group is embedded in full
    batches while the group before it is written (one Chroma upsert, then each document's
    own catalog commit), so the cores keep encoding. `progress(total_chunks)` may return a
    callback that is told of each embedded batch.
    """
    # A document given twice (same id) is indexed once, at its last version.
    latest = list({d.doc_id: d for d in documents}.values())
    chunks = {d.doc_id: chunk_document(pipeline, d) for d in latest if not pipeline.is_current(d)}
    tick = progress(sum(len(c) for c in chunks.values())) if progress else None
    results: dict[str, IndexResult] = {}
    groups = _groups([d for d in latest if d.doc_id in chunks], chunks)
    # One embedding ahead of the writes: a thread, as torch and SQLite release the GIL.
    with ThreadPoolExecutor(1, thread_name_prefix="stage") as ahead:
        staging = ahead.submit(_stage, pipeline, groups[0], chunks, tick) if groups else None
        for number in range(len(groups)):
            staged = staging.result()  # type: ignore[union-attr]
            if number + 1 < len(groups):
                staging = ahead.submit(_stage, pipeline, groups[number + 1], chunks, tick)
            try:
                for result in pipeline.writer.commit_many(staged):
                    results[result.doc_id] = result
            except BaseException:
                staging.cancel()  # type: ignore[union-attr]
                raise
    return [
        results.get(d.doc_id)
        or IndexResult(d.doc_id, "unchanged", len(pipeline.catalog.view().by_doc.get(d.doc_id, [])))
        for d in documents
    ]


def _groups(documents: list[Document], chunks: dict[str, list[Chunk]]) -> list[list[Document]]:
    """Consecutive documents in groups of at least EMBED_GROUP_CHUNKS chunks (the last may
    hold fewer)."""
    groups: list[list[Document]] = []
    group: list[Document] = []
    size = 0
    for document in documents:
        group.append(document)
        size += len(chunks[document.doc_id])
        if size >= EMBED_GROUP_CHUNKS:
            groups.append(group)
            group, size = [], 0
    if group:
        groups.append(group)
    return groups


def _stage(
    pipeline: Pipeline,
    group: list[Document],
    chunks: dict[str, list[Chunk]],
    tick: Progress | None,
) -> list[StagedDocument]:
    everything = [c for d in group for c in chunks[d.doc_id]]
    chunk_vecs, sentence_vecs = pipeline.embed_chunks(everything, tick)
    staged, first = [], 0
    for document in group:
        part = slice(first, first + len(chunks[document.doc_id]))
        staged.append(
            StagedDocument(
                document,
                tuple(chunks[document.doc_id]),
                chunk_vecs[part],
                tuple(sentence_vecs[part]),
                pipeline.fingerprint,
            )
        )
        first = part.stop
    return staged


def _title_from(source: str) -> str:
    return Path(source).stem.replace("_", " ").replace("-", " ").strip() or source


def _names(paths: Sequence[Path]) -> str:
    return ", ".join(str(p) for p in paths)
