"""http.handlers.vars: set request variables (`{http.vars.*}`); keys and values may hold
placeholders, evaluated when the request passes."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request


@register("http.handlers.vars")
class Vars:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.items = list(cfg.items())

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "Vars":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        repl = req.replacer
        for k, v in self.items:
            if "{" in k:
                k = repl.replace_all(k, "")
            if isinstance(v, str) and "{" in v:
                v = repl.replace_all(v, "")
            req.vars[k] = v
        return await next(req)
