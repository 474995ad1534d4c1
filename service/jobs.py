"""Uploads as jobs: read, chunked and embedded beside questions, then committed in moments.

A job's files are all read before any is embedded, and all embedded before any is
committed, so a bad file stops the upload before anything is written. Only a failure while
committing (the store going away, the process dying) can leave part of an upload applied,
and then the job says exactly which files were; uploading the same files again skips
those (same content) and finishes the rest.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from index.ingest import chunk_document
from qa.errors import InputError, QAError
from qa.pipeline import IndexResult, Pipeline, StagedDocument
from qa.settings import ServiceSettings
from qa.types import Document
from service.errors import JobNotFound, ServiceBusy
from service.locks import ReadWriteLock
from service.schemas import ErrorDetail, FileProgress, JobResponse, UploadResult
from service.upload import IncomingFile

log = logging.getLogger("service")

LoadFile = Callable[[str, bytes], Document]
APPLIED = ("done", "skipped")
# Chunks per Chroma upsert beside questions: a query waits for the upsert in progress (64:
# about 0.5 s at worst here, against 2 s for 1,500 in one; the upload is about 40% slower).
WRITE_BATCH = 64
FINISHED = ("done", "failed", "skipped")


class NotApplied(QAError):
    """A file left unwritten because another file of its upload failed."""

    code = "not_applied"


class JobInterrupted(QAError):
    """The server stopped before the job finished."""

    code = "interrupted"


class UnexpectedFailure(QAError):
    """A failure nobody planned for; the server log has the traceback."""

    code = "internal_error"


@dataclass
class FileTask:
    """One file of an upload and how far it has got."""

    name: str
    size: int
    data: bytes | None
    state: str = "queued"  # queued, parsing, embedding, committing, done, failed, skipped
    chunks_done: int = 0
    chunks_total: int = 0
    document: Document | None = None
    result: IndexResult | None = None
    error: QAError | None = None

    @property
    def applied(self) -> bool:
        return self.state in APPLIED


@dataclass
class Job:
    """One upload request's work; read it through JobRunner.describe for a consistent copy."""

    job_id: str
    files: list[FileTask]
    load: LoadFile
    created: float = field(default_factory=time.time)
    finished_at: float | None = None
    state: str = "queued"  # queued, running, done, failed
    cause: QAError | None = None  # the first failure, when there is one
    future: Future[None] | None = None


class JobRunner:
    """Runs upload jobs one at a time, keeps the last `jobs_kept`, bounds the queue."""

    def __init__(
        self, pipeline: Callable[[], Pipeline], lock: ReadWriteLock, settings: ServiceSettings
    ) -> None:
        self._pipeline = pipeline
        self._rw = lock
        self._settings = settings
        # A single-worker pool from concurrent.futures: uploads apply in the order they came,
        # and embedding never takes more than one worker's share of the cores from questions.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-job")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def submit(self, files: list[IncomingFile], load: LoadFile) -> Job:
        """Queue an upload; ServiceBusy when `max_waiting_uploads` already wait."""
        with self._lock:
            waiting = sum(job.state == "queued" for job in self._jobs.values())
            if waiting >= self._settings.max_waiting_uploads:
                raise ServiceBusy(
                    f"{waiting} uploads are already waiting to be indexed; try again shortly",
                    retry_after=max(5, 5 * waiting),
                )
            tasks = [FileTask(f.name, len(f.data), f.data) for f in files]
            job = Job(uuid.uuid4().hex, tasks, load)
            self._jobs[job.job_id] = job
            self._forget_old()
            job.future = self._executor.submit(self._run, job)
        return job

    def get(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r} here (only the last uploads are remembered)")
        return job

    def describe(self, job: Job) -> JobResponse:
        """The job as the API shows it, taken while the worker cannot change it."""
        with self._lock:
            return JobResponse(
                job_id=job.job_id,
                state=job.state,  # type: ignore[arg-type]
                created=job.created,
                finished=job.finished_at,
                files=[_describe_file(task) for task in job.files],
                applied=[t.name for t in job.files if t.applied],
                not_applied=[t.name for t in job.files if not t.applied],
                error=_error(job.cause),
            )

    def close(self) -> None:
        """Stop: queued jobs are dropped, a running one stops before its next commit."""
        self._stopping.set()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.state in ("done", "failed")]
        for job in finished[: max(0, len(self._jobs) - self._settings.jobs_kept)]:
            del self._jobs[job.job_id]

    def _set(self, target: Job | FileTask, **changes: object) -> None:
        with self._lock:
            for name, value in changes.items():
                setattr(target, name, value)

    # -- the work, on the worker thread ------------------------------------------------------

    def _run(self, job: Job) -> None:
        self._set(job, state="running")
        try:
            pipeline = self._pipeline()
            documents = self._read_all(job)
            staged = self._stage_all(job, pipeline, documents)
            self._commit_all(job, staged, pipeline)
        except QAError as exc:
            self._fail(job, exc)
        except Exception as exc:
            log.exception("upload job %s failed", job.job_id)
            self._fail(job, UnexpectedFailure(f"indexing failed unexpectedly ({exc!r})"))
        finally:
            ok = all(task.applied for task in job.files)
            self._set(job, state="done" if ok else "failed", finished_at=time.time())
            for task in job.files:
                task.data = None

    def _read_all(self, job: Job) -> list[Document]:
        """Every file's text, or the first failure after reporting each bad file."""
        documents: list[Document] = []
        failures: list[QAError] = []
        for task in job.files:
            self._check_stopping()
            self._set(task, state="parsing")
            try:
                document = job.load(task.name, task.data or b"")
            except QAError as exc:
                self._set(task, state="failed", error=exc)
                failures.append(exc)
                continue
            except Exception as exc:
                log.exception("reading %s failed", task.name)
                error = UnexpectedFailure(f"{task.name}: could not be read ({exc!r})")
                self._set(task, state="failed", error=error)
                failures.append(error)
                continue
            self._set(task, state="queued", document=document, data=None)
            documents.append(document)
        if failures:
            raise failures[0]
        return documents

    def _stage_all(
        self, job: Job, pipeline: Pipeline, documents: list[Document]
    ) -> list[tuple[FileTask, StagedDocument]]:
        """Chunk and embed every file that changed; nothing is written yet."""
        embedder = pipeline.indexing_embedder
        staged = []
        for task, document in zip(job.files, documents, strict=True):
            self._check_stopping()
            with self._rw.reading():
                current = pipeline.is_current(document)
                chunks_now = next(
                    (d.chunks for d in pipeline.documents() if d.doc_id == document.doc_id), 0
                )
            if current:
                result = IndexResult(document.doc_id, "unchanged", chunks_now)
                self._set(task, state="skipped", result=result)
                continue
            self._set(task, state="embedding")
            try:
                chunks = chunk_document(pipeline, document, embedder)
                if not chunks:
                    raise InputError(f"{task.name}: no text to index")
                self._set(task, chunks_total=len(chunks))
                staged.append(
                    (task, pipeline.stage_document(document, chunks, self._tick(task), embedder))
                )
            except QAError as exc:
                self._set(task, state="failed", error=exc)
                raise
        return staged

    def _commit_all(
        self, job: Job, staged: list[tuple[FileTask, StagedDocument]], pipeline: Pipeline
    ) -> None:
        """Commit one file after another; the first failure stops the rest."""
        for task, document in staged:
            self._check_stopping()
            self._set(task, state="committing")
            try:
                result = pipeline.commit_document(
                    document, exclusive=self._rw.writing, write_batch=WRITE_BATCH
                )
            except QAError as exc:
                self._set(task, state="failed", error=exc)
                raise
            state = "skipped" if result.status == "unchanged" else "done"
            self._set(task, state=state, result=result, chunks_done=task.chunks_total)

    def _fail(self, job: Job, cause: QAError) -> None:
        """Record the first failure; every file not applied and not failed itself says why."""
        note = NotApplied(f"not written: {_culprit(job, cause)}")
        with self._lock:
            job.cause = job.cause or cause
            for task in job.files:
                if task.state not in FINISHED:
                    task.state = "failed"
                    task.error = cause if isinstance(cause, JobInterrupted) else note

    def _tick(self, task: FileTask) -> Callable[[int], None]:
        def tick(done: int) -> None:
            self._check_stopping()
            self._set(task, chunks_done=task.chunks_done + done)

        return tick

    def _check_stopping(self) -> None:
        if self._stopping.is_set():
            raise JobInterrupted("the server stopped before this upload was indexed; send it again")


def _describe_file(task: FileTask) -> FileProgress:
    result = None
    if task.result is not None and task.document is not None:
        d, r = task.document, task.result
        result = UploadResult(
            doc_id=d.doc_id, title=d.title, source=d.source, status=r.status, chunks=r.chunks
        )
    total = task.chunks_total
    progress = 1.0 if task.applied else (task.chunks_done / total if total else 0.0)
    return FileProgress(
        name=task.name,
        size=task.size,
        state=task.state,  # type: ignore[arg-type]
        progress=min(1.0, progress),
        chunks_done=task.chunks_done,
        chunks_total=total,
        result=result,
        error=_error(task.error),
    )


def _error(error: QAError | None) -> ErrorDetail | None:
    return None if error is None else ErrorDetail(code=error.code, message=error.message)


def _culprit(job: Job, cause: QAError) -> str:
    failed = [t.name for t in job.files if t.state == "failed" and t.error is not None]
    if failed:
        return f"{', '.join(failed)} failed ({cause.message})"
    return cause.message
