"""Limits enforced before a handler (or the form parser) reads the body: the API key and a
rate per client on writes, then the body size."""

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qa.settings import ServiceSettings
from service.deps import UNAUTHORIZED, api_key_accepted
from service.errors import error_body

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def is_write(scope: Scope) -> bool:
    """A request that changes the index: anything but a read on /documents."""
    path = scope["path"].rstrip("/")
    return scope["method"] in WRITE_METHODS and (
        path == "/documents" or path.startswith("/documents/")
    )


class TokenBuckets:
    """A token bucket per client: `burst` writes at once, then `per_minute` on average.

    Written here because a token bucket is a dozen lines, while the `limits` package counts
    fixed or moving windows, which cannot express a burst over a steady rate.
    """

    def __init__(
        self,
        burst: int,
        per_minute: float,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.burst = burst
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # tokens, when
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when `client` may write now (a token is spent), else seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - then) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if not wait else tokens, now)
            while len(self._buckets) > self.max_clients:  # the longest idle go first
                self._buckets.popitem(last=False)
        return wait


class WriteGuard:
    """On writes, before the body is read: a wrong API key is 401, a client over its rate
    429 with Retry-After. Rate first, so guessing keys is as slow as writing."""

    def __init__(self, app: ASGIApp, settings: ServiceSettings) -> None:
        self.app = app
        self.settings = settings
        self.buckets = TokenBuckets(settings.write_burst, settings.write_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_write(scope):
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.buckets.take(client)
        if wait:
            retry = str(max(1, math.ceil(wait)))
            message = f"too many writes from this client; try again in {retry} s"
            await _refuse(send, 429, "rate_limited", message, [(b"retry-after", retry.encode())])
            return
        headers = dict(scope.get("headers", ()))
        given = headers.get(b"x-api-key")
        if not api_key_accepted(self.settings, given.decode("latin-1") if given else None):
            auth = [(b"www-authenticate", b"ApiKey")]
            await _refuse(send, 401, "unauthorized", UNAUTHORIZED, auth)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse bodies over `upload_bytes` on POST /documents and over `other_bytes` elsewhere.

    A declared Content-Length is checked up front; a chunked body is read, up to the
    limit, before the application sees it.
    """

    def __init__(self, app: ASGIApp, upload_bytes: int, other_bytes: int) -> None:
        self.app = app
        self.upload_bytes = upload_bytes
        self.other_bytes = other_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/documents"
        limit = self.upload_bytes if upload else self.other_bytes
        headers = dict(scope.get("headers", ()))
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await _too_large(send, limit)
                return
            await self.app(scope, receive, send)
            return
        body: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _too_large(send, limit)
                return
            body.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _too_large(send: Send, limit: int) -> None:
    shown = f"{limit / 1e6:.1f} MB" if limit >= 100_000 else f"{limit / 1000:.0f} kB"
    message = f"the request body is over the {shown} limit"
    await _refuse(send, 413, "payload_too_large", message)


async def _refuse(
    send: Send,
    status: int,
    code: str,
    message: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error response sent before the body is read; the connection closes after it."""
    payload = json.dumps(error_body(code, message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
