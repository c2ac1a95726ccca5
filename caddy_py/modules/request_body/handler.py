"""`http.handlers.request_body`: limits the request body (Caddy's requestbody.RequestBody).

`max_size` only sets `req.body_limit`; the limit bites when something reads the body (e.g.
`reverse_proxy` answers 413), as in Caddy where a request nobody reads is never rejected
(RUNTIME-NOTES 12). Use `read_body(req)` to read a body under the limit from other handlers.
`set` replaces the body (placeholders expanded) with a fresh stream, and Content-Length with its
size. `read_timeout`/`write_timeout` are accepted and not enforced.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import StreamReader, web

from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request


async def read_body(req: Request) -> bytes:
    """The whole request body, or HandlerError 413 once more than `req.body_limit` bytes arrive."""
    limit = req.body_limit
    if limit is None:
        return await req.raw.read()
    buf = bytearray()
    async for chunk in req.raw.content.iter_any():
        buf += chunk
        if len(buf) > limit:
            raise HandlerError(413, "http: request body too large")
    return bytes(buf)


def _replace_body(req: Request, data: bytes) -> None:
    """The request body is now `data` for whoever reads it next (the old one is left unread)."""
    raw = req.raw
    reader = StreamReader(raw.protocol, 1 << 16, loop=asyncio.get_running_loop())
    if data:
        reader.feed_data(data)
    reader.feed_eof()
    raw._payload = reader  # type: ignore[attr-defined]  # aiohttp keeps the body stream here
    req.headers.popall("Transfer-Encoding", None)
    req.headers["Content-Length"] = str(len(data))


@register("http.handlers.request_body")
class RequestBody:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.max_size = int(cfg.get("max_size") or 0)
        self.set = str(cfg.get("set") or "")

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "RequestBody":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.set:
            _replace_body(req, req.replacer.replace_all(self.set).encode())
        if self.max_size > 0 and req.raw.body_exists:
            req.body_limit = self.max_size if req.body_limit is None else min(req.body_limit, self.max_size)
        return await next(req)
