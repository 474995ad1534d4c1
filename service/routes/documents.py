"""The indexed documents: list, read, upload (multipart), delete."""

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.concurrency import run_in_threadpool

from index.ingest import build_document, chunk_document
from index.load import load_bytes
from qa.errors import InputError
from qa.pipeline import Pipeline
from qa.types import Document
from service.deps import ApiKeyDep, PipelineDep, StateDep
from service.errors import PayloadTooLarge
from service.schemas import (
    DOC_ID_PATTERN,
    DeleteResponse,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    UploadResponse,
    UploadResult,
    error_responses,
)
from service.state import ServiceState, warm

router = APIRouter(prefix="/documents", tags=["documents"])

DocIdPath = Annotated[
    str, Path(pattern=DOC_ID_PATTERN, max_length=80, description="A document id from /documents")
]
_CONTROL = {chr(c) for c in range(32)} | {"\x7f"}


@router.get("", response_model=DocumentList, responses=error_responses(503))
def list_documents(pipeline: PipelineDep) -> DocumentList:
    """Every indexed document with its chunk count."""
    return DocumentList(documents=[DocumentSummary.model_validate(d) for d in pipeline.documents()])


@router.get("/{doc_id}", response_model=DocumentDetail, responses=error_responses(404, 422, 503))
def get_document(doc_id: DocIdPath, pipeline: PipelineDep) -> DocumentDetail:
    """A document's metadata and full text: citation offsets point into this text."""
    document = pipeline.document(doc_id)
    chunks = next((d.chunks for d in pipeline.documents() if d.doc_id == doc_id), 0)
    return DocumentDetail.of_document(document, chunks)


@router.post(
    "",
    status_code=201,
    response_model=UploadResponse,
    dependencies=[ApiKeyDep],
    responses=error_responses(400, 401, 413, 415, 422, 503),
)
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="One or more .txt .md .html .pdf files")],
    pipeline: PipelineDep,
    state: StateDep,
) -> UploadResponse:
    """Index uploaded files with the CLI's loaders; a file with the same name replaces its
    earlier version. Every file is checked before any is written."""
    limit = state.settings.service.max_upload_files
    if len(files) > limit:
        raise PayloadTooLarge(f"{len(files)} files sent; at most {limit} per upload")
    named = [(upload_name(f.filename), await f.read()) for f in files]
    return await run_in_threadpool(index_uploads, pipeline, state, named)


def upload_name(filename: str | None) -> str:
    """The file's own name, without any folders a client put in front of it."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name.startswith(".") or len(name) > 200 or set(name) & _CONTROL:
        raise InputError(f"unusable file name {filename!r}: give each file a plain name")
    return name


def index_uploads(
    pipeline: Pipeline, state: ServiceState, named: list[tuple[str, bytes]]
) -> UploadResponse:
    max_bytes = int(state.settings.index.max_file_mb * 1e6)
    documents: list[Document] = []
    for name, data in named:
        if len(data) > max_bytes:
            raise PayloadTooLarge(
                f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.1f} MB "
                "limit per file"
            )
        if any(d.source == name for d in documents):
            raise InputError(f"{name} is in the upload twice")
        documents.append(build_document(name, load_bytes(name, data, state.settings.index)))
    with state.lock.writing():
        chunks = {d.doc_id: chunk_document(pipeline, d) for d in documents}
        for document in documents:
            if not chunks[document.doc_id]:
                raise InputError(f"{document.source}: no text to index")
        try:
            results = [pipeline.add_document(d, chunks[d.doc_id]) for d in documents]
        finally:
            warm(pipeline)
    return UploadResponse(
        documents=[
            UploadResult(
                doc_id=d.doc_id, title=d.title, source=d.source, status=r.status, chunks=r.chunks
            )
            for d, r in zip(documents, results, strict=True)
        ]
    )


@router.delete(
    "/{doc_id}",
    response_model=DeleteResponse,
    dependencies=[ApiKeyDep],
    responses=error_responses(401, 404, 422, 503),
)
def delete_document(doc_id: DocIdPath, pipeline: PipelineDep, state: StateDep) -> DeleteResponse:
    """Delete a document and all its chunks."""
    with state.lock.writing():
        removed = pipeline.remove_document(doc_id)
    return DeleteResponse(doc_id=doc_id, chunks_removed=removed)
