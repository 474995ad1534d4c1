"""405 answers whose Allow header lists every method the path takes, not only its first route's."""

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from service.errors import error_response

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route fully matches on this request's path, asked of each route."""
    # Asking the routes (a public interface) with a fresh scope per method, rather than
    # reading the router's structure, which FastAPI has changed between versions.
    routes = [r for r in request.app.router.routes if not isinstance(r, Mount)]
    allowed = []
    for method in _METHODS:
        probe = {
            "type": "http",
            "method": method,
            "path": request.scope["path"],
            "root_path": request.scope.get("root_path", ""),
            "headers": [],
            "query_string": b"",
        }
        if any(route.matches(dict(probe))[0] is Match.FULL for route in routes):
            allowed.append(method)
    return allowed


async def handle_method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
    # Starlette names only the first matching route's methods: GET for /documents/{doc_id},
    # which also takes DELETE. A mount (static files) already names its own.
    assert isinstance(exc, HTTPException)
    allow = ", ".join(allowed_methods(request)) or (exc.headers or {}).get("Allow", "")
    message = f"{request.method} is not allowed here; use {allow}"
    return error_response(405, "method_not_allowed", message, {"Allow": allow})
