"""`http.handlers.intercept`: replace or amend any handler's response (Caddy's intercept).

The first `handle_response` entry whose response matcher accepts the response's status and
headers takes it: that response is held back whole (status, headers, body), its fields become
`{http.intercept.status_code}` and `{http.intercept.header.*}`, and then either its status is
replaced (`status_code`) or the entry's routes run. Responses nothing matches, and 1xx ones,
pass through unbuffered.

As in Caddy, the held response's headers stay in the final response (the routes' own headers
win, except Content-Type, which Go handlers only fill in when absent); when the routes write no
status the original one is used, and when they write no body the original body is. Unlike
Caddy, the original's framing (Content-Length) is not carried over: Caddy sends it with a body
of another length, which breaks the response.

Streamed responses (file_server, reverse_proxy) are decided in the prepare hook, where the
response's status and headers are final: `capture.py` holds back or passes on what follows.
"""
from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.logging import log
from caddy_py.modules.reverse_proxy.header_ops import ResponseMatcher

from .capture import Capture, Held

LOGGER = "http.handlers.intercept"
# framing and per-message fields of the held response that the final response computes anew
_NOT_CARRIED = frozenset(("content-length", "transfer-encoding", "date", "connection"))


class _ResponseHandler:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.match = ResponseMatcher.from_json(cfg.get("match"))
        sc = cfg.get("status_code")
        self.status_code = "" if sc in (None, "", 0) else str(sc)
        self.routes_cfg = cfg.get("routes")
        self.routes: Any = None

    def accepts(self, status: int, headers: CIMultiDict[str]) -> bool:
        return self.match is None or self.match.match(status, headers)


class _NothingWritten(web.Response):
    """What the end of the handle_response routes returns: the routes wrote no response."""


async def _nothing_written(req: Request) -> web.StreamResponse:
    return _NothingWritten()


@register("http.handlers.intercept")
class Intercept:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.handlers = [_ResponseHandler(rh or {}) for rh in cfg.get("handle_response") or []]

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Intercept":
        return cls(cfg or {})

    async def provision(self, ctx: Any) -> None:
        for rh in self.handlers:
            if rh.routes_cfg is not None and ctx is not None:
                rh.routes = await ctx.load_routes(rh.routes_cfg)

    def choose(self, status: int, headers: CIMultiDict[str]) -> int | None:
        """The index of the response handler that takes this response, None to let it pass."""
        if 100 <= status <= 199:
            return None
        for i, rh in enumerate(self.handlers):
            if rh.accepts(status, headers):
                return i
        return None

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if not self.handlers:
            return await next(req)
        capture = Capture.install(req, self.choose)
        try:
            resp = await next(req)
            held = await capture.finish(resp)
        finally:
            capture.uninstall()
        if held is None:
            return resp
        return await self._handle(req, held, next)

    async def _handle(self, req: Request, held: Held, next: Next) -> web.StreamResponse:
        repl = req.replacer
        for name in dict.fromkeys(held.seen.keys()):
            repl.set(f"http.intercept.header.{name}", ",".join(held.seen.getall(name)))
        repl.set("http.intercept.status_code", held.status)
        log(LOGGER, logging.DEBUG, "handling response", handler=held.index)
        rh = self.handlers[held.index]
        carried = CIMultiDict((k, v) for k, v in held.headers.items() if k.lower() not in _NOT_CARRIED)
        if rh.routes is None:
            status = held.status
            if rh.status_code:
                try:
                    status = int(repl.replace_all(rh.status_code, ""))
                except ValueError:
                    status = 500
            return web.Response(status=status, body=held.body, headers=carried)
        req.on_prepare.insert(0, lambda r: _carry(carried, r))
        resp = await rh.routes.serve(req, _nothing_written)
        if isinstance(resp, _NothingWritten):
            return web.Response(status=held.status, body=held.body)
        if not resp.prepared and held.body and not getattr(resp, "body", None):
            resp.body = held.body  # the routes set a status but wrote no body
        return resp


def _carry(carried: CIMultiDict[str], resp: web.StreamResponse) -> None:
    """Put the held response's headers under the final one's: the final one's fields win,
    except Content-Type, where the held response's value (if any) wins."""
    headers = resp.headers
    for name in dict.fromkeys(carried.keys()):
        low = name.lower()
        if low == "content-type" or name not in headers:
            headers.popall(name, None)
            headers.extend((name, v) for v in carried.getall(name))
