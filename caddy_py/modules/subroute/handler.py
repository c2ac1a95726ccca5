"""http.handlers.subroute: a route list inside a handler chain, with its own error routes."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request
from caddy_py.http.routes import RouteList


@register("http.handlers.subroute")
class Subroute:
    JSON_FIELDS = frozenset(("routes", "errors"))

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.routes = RouteList([])
        self.errors: RouteList | None = None

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "Subroute":
        return cls(cfg or {})

    async def provision(self, ctx: Any) -> None:
        try:
            self.routes = await ctx.load_routes(self.cfg.get("routes"))
        except ConfigError as e:
            raise ConfigError(f"setting up subroutes: {e}") from None
        err = (self.cfg.get("errors") or {}).get("routes")
        if err:
            try:
                self.errors = await ctx.load_routes(err)
            except ConfigError as e:
                raise ConfigError(f"setting up error subroutes: {e}") from None

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.errors is None:
            return await self.routes.serve(req, next)
        try:
            return await self.routes.serve(req, next)
        except HandlerError as e:
            req.error = e
            return await self.errors.serve(req, next)
