"""Every failure becomes JSON `{"error": {"code", "message"}}` with a fitting status code."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from qa.errors import (
    BackendError,
    ConfigError,
    DocumentNotFound,
    InputError,
    QAError,
    StoreUnavailable,
    UnreadableDocument,
    UnsupportedFileType,
)

log = logging.getLogger("service")


class PayloadTooLarge(InputError):
    """An upload over the size or file-count limit."""

    code = "payload_too_large"


class Unauthorized(QAError):
    """A write without the right API key."""

    code = "unauthorized"


class NotReady(QAError):
    """The service is still warming up; retry shortly."""

    code = "not_ready"


class JobNotFound(InputError):
    """A job id this server does not know, or has forgotten (only the last jobs are kept)."""

    code = "job_not_found"


class ServiceBusy(QAError):
    """Too many uploads already wait to be indexed; the client should come back later."""

    code = "busy"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# Most specific first: the first class an error is an instance of decides its status.
STATUS: tuple[tuple[type[QAError], int], ...] = (
    (DocumentNotFound, 404),
    (JobNotFound, 404),
    (UnsupportedFileType, 415),
    (PayloadTooLarge, 413),
    (UnreadableDocument, 422),
    (InputError, 400),
    (Unauthorized, 401),
    (StoreUnavailable, 503),
    (NotReady, 503),
    (ServiceBusy, 503),
    (BackendError, 502),
    (ConfigError, 500),
)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def status_of(exc: QAError) -> int:
    return next((status for cls, status in STATUS if isinstance(exc, cls)), 500)


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers=None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


async def handle_qa_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QAError)
    status = status_of(exc)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    headers = {"WWW-Authenticate": "ApiKey"} if status == 401 else None
    if isinstance(exc, ServiceBusy):
        headers = {"Retry-After": str(exc.retry_after)}
    return error_response(status, exc.code, exc.message, headers)


async def handle_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error.get("loc", ()))
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(422, "validation_error", "; ".join(problems) or "invalid request")


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return error_response(exc.status_code, code, str(exc.detail), exc.headers)


async def handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    # The server re-raises after this response, so the traceback reaches its log once;
    # the client learns nothing internal.
    log.error("%s %s failed: %r", request.method, request.url.path, exc)
    return error_response(500, "internal_error", "internal error; the server log has details")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, handle_qa_error)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.add_exception_handler(Exception, handle_unexpected)
