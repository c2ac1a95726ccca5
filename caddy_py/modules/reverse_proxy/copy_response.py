"""`copy_response` and `copy_response_headers`: used inside reverse_proxy's handle_response
routes to send (part of) the upstream's response after all."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request

_STATE_KEY = "reverse_proxy.handle_response"


def _context(req: Request, name: str) -> Any:
    hrc = req.state.get(_STATE_KEY)
    if hrc is None:
        raise HandlerError(500, f"{name} can only be used within reverse_proxy's handle_response routes")
    return hrc


@register("http.handlers.copy_response")
class CopyResponse:
    def __init__(self, status_code: Any = None) -> None:
        self.status_code = status_code

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "CopyResponse":
        return cls(cfg.get("status_code"))

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        hrc = _context(req, "copy_response")
        status = None
        if self.status_code not in (None, "", 0):
            status = int(req.replacer.replace_all(str(self.status_code), ""))
        return await hrc.handler.finalize(req, hrc.response, status=status)


@register("http.handlers.copy_response_headers")
class CopyResponseHeaders:
    def __init__(self, include: list[str], exclude: list[str]) -> None:
        if include and exclude:
            raise ValueError("cannot define both 'exclude' and 'include' lists at the same time")
        self.include = {h.lower() for h in include}
        self.exclude = {h.lower() for h in exclude}

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "CopyResponseHeaders":
        return cls(list(cfg.get("include") or []), list(cfg.get("exclude") or []))

    def _wanted(self, name: str) -> bool:
        low = name.lower()
        if self.include:
            return low in self.include
        return low not in self.exclude

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        hrc = _context(req, "copy_response_headers")
        items = [(k, v) for k, v in hrc.response.headers.items() if self._wanted(k)]

        def apply(resp: web.StreamResponse) -> None:
            for k in {k for k, _ in items}:
                resp.headers.popall(k, None)
            for k, v in items:
                resp.headers.add(k, v)

        req.on_prepare.append(apply)
        return await next(req)
