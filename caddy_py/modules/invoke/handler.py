"""http.handlers.invoke: run one of the server's `named_routes` (the `invoke` directive)."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request


@register("http.handlers.invoke")
class Invoke:
    JSON_FIELDS = frozenset(("name",))

    def __init__(self, name: str) -> None:
        if not name:
            raise ConfigError("invoke: a route name is required")
        self.name = name

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "Invoke":
        return cls(str((cfg or {}).get("name", "")))

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        named = getattr(req.server, "named_routes", {})
        route = named.get(self.name)
        if route is None:
            raise HandlerError(500, f"invoke: route '{self.name}' not found")
        return await route.serve(req, next)
