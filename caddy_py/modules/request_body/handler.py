"""`http.handlers.request_body`: limits the request body (Caddy's requestbody.RequestBody).

`max_size` only sets `req.body_limit`; the limit bites when something reads the body (e.g.
`reverse_proxy` answers 413), as in Caddy where a request nobody reads is never rejected
(RUNTIME-NOTES 12). Use `read_body(req)` to read a body under the limit from other handlers.
`read_timeout`/`write_timeout` are accepted and not enforced; `set` (replace the body) is not
supported and refused at provisioning.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

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


@register("http.handlers.request_body")
class RequestBody:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.max_size = int(cfg.get("max_size") or 0)
        if cfg.get("set"):
            raise ValueError("request_body: 'set' is not supported by caddy-py")

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "RequestBody":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.max_size > 0 and req.raw.body_exists:
            req.body_limit = self.max_size if req.body_limit is None else min(req.body_limit, self.max_size)
        return await next(req)
