"""http.handlers.error: raise an HTTP error (the `error` directive) to enter handle_errors."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request


@register("http.handlers.error")
class StaticError:
    JSON_FIELDS = frozenset(("error", "status_code"))

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.error = str(cfg.get("error", "") or "")
        code = cfg.get("status_code")
        self.status = "" if code in (None, "", 0) else str(code)

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "StaticError":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        repl = req.replacer
        status = 500
        if self.status:
            try:
                status = int(repl.replace_all(self.status, ""))
            except ValueError as e:
                raise HandlerError(500, str(e), cause=e) from None
        raise HandlerError(status, repl.replace_all(self.error, ""))
