"""create_app(settings): the FastAPI application, its lifespan, routes and error handling."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from qa.settings import Settings
from service.errors import install_error_handlers
from service.limits import BodyLimit, WriteGuard
from service.methods import handle_method_not_allowed
from service.openapi import install_openapi
from service.routes import ask, documents, health, jobs, openai_compat, web
from service.state import ServiceState

_DESCRIPTION = (
    "Answers only from your own documents: every sentence carries a [n] citation with the "
    "exact character offsets it rests on, or the answer is an honest abstention. Errors are "
    'JSON: `{"error": {"code", "message"}}`.'
)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The application; its lifespan builds the pipeline (model warmed, store open) once."""
    settings = settings if settings is not None else Settings()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(state.start)
        try:
            yield
        finally:
            state.close()

    # /docs loads Swagger UI from the fastapi-offline package, not a CDN. No /redoc: ReDoc
    # still fetches its logo from a CDN, telling a third party that someone read the docs.
    app = FastAPIOffline(
        redoc_url=None,
        title="groundedqa",
        version="0.1.0",
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.service = state
    install_error_handlers(app)
    app.add_exception_handler(405, handle_method_not_allowed)
    install_openapi(app, settings)
    for module in (ask, documents, jobs, health, openai_compat, web):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=web.WEB_DIR), name="static")

    service = settings.service
    app.add_middleware(
        BodyLimit,
        upload_bytes=int(service.max_upload_mb * 1e6),
        other_bytes=service.max_request_kb * 1000,
    )
    app.add_middleware(WriteGuard, settings=service)  # outside BodyLimit: 401/429 before 413
    if service.cors_origins:  # off unless configured; outermost, so errors carry CORS headers
        app.add_middleware(
            CORSMiddleware,
            allow_origins=service.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    return app
