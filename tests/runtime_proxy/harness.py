"""A minimal host for handler modules: the core's aiohttp server class (its prepare hook runs
`req.on_prepare`) on 127.0.0.1 (ephemeral port), running a chain of our runtime handlers per
request with the core's Request and Replacer, without the rest of the config machinery."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web

from caddy_py.config.context import Context
from caddy_py.http.aio import AioServer
from caddy_py.http.handler import HandlerError
from caddy_py.http.request import Request
from caddy_py.modules import load_runtime_modules
from caddy_py.replacer import Replacer



def request_placeholders(req: Request) -> Callable[[str], tuple[Any, bool]]:
    def provider(key: str) -> tuple[Any, bool]:
        if key == "http.request.host":
            return req.host.rsplit(":", 1)[0], True
        if key == "http.request.uri":
            return req.path + ("?" + req.raw_query if req.raw_query else ""), True
        if key == "http.request.uri.path":
            return req.path, True
        if key.startswith("http.request.header."):
            return req.headers.get(key[len("http.request.header."):], ""), True
        return None, False
    return provider


async def load(cfgs: list[dict[str, Any]]) -> tuple[Context, list[Any]]:
    load_runtime_modules()  # the registry only auto-loads when it is empty
    ctx = Context()
    return ctx, await ctx.load_handlers(cfgs)


class Site:
    """Runs `handlers` (loaded modules) in order, like a route's handler chain."""

    def __init__(self, handlers: list[Any], ctx: Context) -> None:
        self.handlers = handlers
        self.ctx = ctx
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.errors: list[HandlerError] = []

    async def _handle(self, raw: web.Request) -> web.StreamResponse:
        req = Request(raw, Replacer())
        req.replacer.map(request_placeholders(req))
        raw.caddy = req  # type: ignore[attr-defined]

        async def run(i: int, r: Request) -> web.StreamResponse:
            if i == len(self.handlers):
                return web.Response(status=200, text="")
            return await self.handlers[i].serve(r, lambda rr: run(i + 1, rr))

        try:
            return await run(0, req)
        except HandlerError as e:
            self.errors.append(e)
            return web.Response(status=e.status)

    async def start(self) -> "Site":
        self.runner = web.ServerRunner(AioServer(self._handle), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def close(self) -> None:
        await self.ctx.cleanup()
        if self.runner is not None:
            await self.runner.cleanup()


async def start_site(cfgs: list[dict[str, Any]]) -> Site:
    ctx, handlers = await load(cfgs)
    return await Site(handlers, ctx).start()


async def start_upstream(routes: Callable[[web.Application], None] | None = None,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
                         ) -> tuple[web.AppRunner, int]:
    app = web.Application()
    if routes is not None:
        routes(app)
    if handler is not None:
        app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
