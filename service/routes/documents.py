"""The indexed documents: list, read, upload (multipart), delete."""

import asyncio
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Path, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from index.ingest import build_document
from index.load import load_bytes
from qa.errors import QAError
from qa.settings import IndexSettings
from qa.types import Document
from service.deps import ApiKeyDep, PipelineDep, StateDep, get_pipeline
from service.errors import error_response, status_of
from service.schemas import (
    DOC_ID_PATTERN,
    DeleteResponse,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    JobResponse,
    UploadResponse,
    error_responses,
)
from service.upload import IncomingFile, check_file_count, check_upload, upload_name

router = APIRouter(prefix="/documents", tags=["documents"])

DocIdPath = Annotated[
    str, Path(pattern=DOC_ID_PATTERN, max_length=80, description="A document id from /documents")
]


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
    status_code=202,
    response_model=JobResponse,
    dependencies=[ApiKeyDep, Depends(get_pipeline)],
    responses={
        201: {"model": UploadResponse, "description": "With ?wait=true: every file applied"},
        202: {"description": "Accepted: follow Location (/jobs/{job_id}) for progress"},
        **error_responses(400, 401, 413, 415, 422, 429, 503),
    },
)
async def upload_documents(
    files: Annotated[list[UploadFile], File(description="One or more .txt .md .html .pdf files")],
    state: StateDep,
    response: Response,
    wait: Annotated[
        bool, Query(description="Answer when indexing has finished: 201 with the outcome")
    ] = False,
) -> Any:
    """Index uploaded files with the CLI's loaders, as a job; a file with the same name
    replaces its earlier version. Every file is checked before any is written."""
    check_file_count(len(files), state.settings)
    incoming = [IncomingFile(upload_name(f.filename), await f.read()) for f in files]
    check_upload(incoming, state.settings)
    job = state.jobs.submit(incoming, partial(load_upload, limits=state.settings.index))
    location = f"/jobs/{job.job_id}"
    if not wait:
        response.headers["Location"] = location
        return state.jobs.describe(job)
    assert job.future is not None
    await asyncio.wrap_future(job.future)
    return upload_outcome(state.jobs.describe(job), job.cause, location)


def load_upload(name: str, data: bytes, limits: IndexSettings) -> Document:
    """An uploaded file's document, read with the CLI's loaders within the parse budget
    (run by the upload job)."""
    return build_document(name, load_bytes(name, data, limits))


def upload_outcome(job: JobResponse, cause: QAError | None, location: str) -> JSONResponse:
    """A finished job as ?wait=true answers it: 201 with every file, or the failure."""
    if job.state == "done" or cause is None:
        results = [f.result for f in job.files if f.result is not None]
        return JSONResponse(UploadResponse(documents=results).model_dump(), status_code=201)
    message = cause.message
    if job.applied:
        message += f" (applied: {', '.join(job.applied)}; not applied: "
        message += f"{', '.join(job.not_applied)}; see {location})"
    return error_response(status_of(cause), cause.code, message, {"Location": location})


@router.delete(
    "/{doc_id}",
    response_model=DeleteResponse,
    dependencies=[ApiKeyDep],
    responses=error_responses(401, 404, 422, 429, 503),
)
def delete_document(doc_id: DocIdPath, pipeline: PipelineDep, state: StateDep) -> DeleteResponse:
    """Delete a document and all its chunks."""
    removed = pipeline.remove_document(doc_id, exclusive=state.lock.writing)
    return DeleteResponse(doc_id=doc_id, chunks_removed=removed)
