"""Routes: matcher sets + a handler chain, compiled once per config load (Caddy's RouteList).

Semantics (as Caddy's compileRoutes):
- a route runs when any of its matcher sets matches (sets OR'ed, matchers in a set AND'ed);
  matchers are evaluated when the chain reaches the route, after earlier handlers ran;
- its handlers run in order, each getting `next`; the last handler's `next` continues with the
  following routes, unless the route is `terminal`, which ends the chain there;
- within a `group`, only the first matching route runs (per request, across route lists);
- a terminal route ends in an empty 200, or while handling an error, in the error's status.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from caddy_py.config.context import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.config.context import Context
    from caddy_py.http.handler import Next
    from caddy_py.http.request import Request


async def empty_handler(req: "Request") -> web.StreamResponse:
    """The end of every chain: nothing wrote a response, so 200 with an empty body."""
    return web.Response()


async def error_empty_handler(req: "Request") -> web.StreamResponse:
    """The end of the errors.routes chain: nothing wrote, so the error's own status."""
    err = req.error
    status = getattr(err, "status", 0) or 500
    return web.Response(status=status)


class RouteError(ConfigError):
    """Loading a route list failed; `phase` tells which step ("matchers" or "handlers")."""

    def __init__(self, phase: str, message: str) -> None:
        super().__init__(message)
        self.phase = phase


class Route:
    __slots__ = ("matchers", "handlers", "terminal", "group")

    def __init__(self, matchers: Any, handlers: list[Any], terminal: bool, group: str) -> None:
        self.matchers = matchers
        self.handlers = handlers
        self.terminal = terminal
        self.group = group


class _Chain:
    """`next` for handler i of a route: runs handler i, whose own `next` is handler i+1."""

    __slots__ = ("handlers", "i", "tail")

    def __init__(self, handlers: list[Any], i: int, tail: "Next") -> None:
        self.handlers = handlers
        self.i = i
        self.tail = tail

    def __call__(self, req: "Request") -> Any:
        h = self.handlers
        i = self.i
        if i + 1 < len(h):
            return h[i].serve(req, _Chain(h, i + 1, self.tail))
        return h[i].serve(req, self.tail)


class _Rest:
    """`next` after a non-terminal route: continue with the remaining routes."""

    __slots__ = ("routes", "start", "outer")

    def __init__(self, routes: "RouteList", start: int, outer: "Next") -> None:
        self.routes = routes
        self.start = start
        self.outer = outer

    def __call__(self, req: "Request") -> Any:
        return self.routes.run(req, self.start, self.outer)


class RouteList:
    __slots__ = ("routes",)

    def __init__(self, routes: list[Route]) -> None:
        self.routes = routes

    @classmethod
    async def load(cls, ctx: "Context", cfgs: list[dict[str, Any]]) -> "RouteList":
        """All matchers first, then all handlers, as Caddy provisions them; a failure raises
        RouteError whose `phase` is "matchers" or "handlers"."""
        for i, cfg in enumerate(cfgs):
            if not isinstance(cfg, dict):
                raise RouteError("matchers", f"route {i}: expected an object")
        matchers = []
        for i, cfg in enumerate(cfgs):
            try:
                matchers.append(await ctx.load_matchers(cfg.get("match")))
            except ConfigError as e:
                raise RouteError("matchers", f"route {i}: loading matcher modules: {e}") from None
        routes = []
        for i, cfg in enumerate(cfgs):
            try:
                handlers = await ctx.load_handlers(cfg.get("handle"))
            except ConfigError as e:
                raise RouteError("handlers", f"route {i}: loading handler modules: {e}") from None
            routes.append(Route(matchers[i], handlers, bool(cfg.get("terminal")), cfg.get("group", "")))
        return cls(routes)

    def __len__(self) -> int:
        return len(self.routes)

    async def serve(self, req: "Request", next: "Next") -> web.StreamResponse:
        """Run the routes; `next` runs after the last one (for a top-level list: empty_handler)."""
        return await self.run(req, 0, next)

    def run(self, req: "Request", start: int, outer: "Next") -> Any:
        routes = self.routes
        n = len(routes)
        i = start
        while i < n:
            r = routes[i]
            i += 1
            if r.matchers is not None and not r.matchers.match(req):
                continue
            if r.group:
                # the groups already used by this request (one set per request, as Caddy's)
                groups = req.state.get("__route_groups__")
                if groups is None:
                    groups = req.state["__route_groups__"] = set()
                if r.group in groups:
                    continue
                groups.add(r.group)
            tail: Next
            if r.terminal:
                tail = error_empty_handler if req.error is not None else empty_handler
            elif i < n:
                tail = _Rest(self, i, outer)
            else:  # the last route: what follows it is what follows the list
                tail = outer
            handlers = r.handlers
            if len(handlers) == 1:  # the usual route: no chain link to build
                return handlers[0].serve(req, tail)
            if not handlers:
                return tail(req)
            return _Chain(handlers, 0, tail)(req)
        return outer(req)
