"""The contract between the HTTP server and handler modules (Caddy's MiddlewareHandler).

A handler module is registered as `http.handlers.NAME` (see `caddy_py.config.registry`) and
implements:

    async def serve(self, req: Request, next: Next) -> web.StreamResponse

`req` is the per-request context below; `next` runs the rest of the route chain. A handler
either returns a response of its own or returns `await next(req)` (possibly after changing
`req`, or changing the returned response before it is sent). Handlers that stream
(reverse_proxy, file_server, websocket_notifier) prepare the response themselves; anything that
must touch headers of *every* response, streamed or not (deferred `header` ops, `encode`), adds
a callback to `req.on_prepare`, which the server runs right before the headers go out.

Errors: raise `HandlerError(status, message)` (Caddy's caddyhttp.Error) to enter
`errors.routes` (handle_errors) with `{http.error.*}` placeholders set.

This file is owned by the runtime core; extend it, keep what is here stable.
"""
from __future__ import annotations

import random
import string
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

    from caddy_py.http.request import Request

Next = Callable[["Request"], Awaitable["web.StreamResponse"]]


class MiddlewareHandler(Protocol):
    async def serve(self, req: "Request", next: Next) -> "web.StreamResponse": ...


_ID_CHARS = string.ascii_letters + string.digits


class HandlerError(Exception):
    """An HTTP error raised by a handler: routes to handle_errors, else an empty response."""

    def __init__(self, status: int = 500, message: str = "", *, err_id: str = "", trace: str = "",
                 cause: BaseException | None = None) -> None:
        super().__init__(message or f"HTTP {status}")
        self.status = status
        self.message = message
        # Caddy gives every error a random 9-character ID ({http.error.id}) for log correlation
        self.err_id = err_id or "".join(random.choices(_ID_CHARS, k=9))
        self.trace = trace
        self.cause = cause

    def details(self) -> dict[str, Any]:
        return {"status_code": self.status, "message": self.message, "id": self.err_id, "trace": self.trace}
