"""Test helpers: differential comparison on top of the core's `Pair` (chosen response headers,
all their values in order, and bodies, between the real caddy and caddy-py), and a real upstream."""
from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web
from yarl import URL

from tests.runtime_core.diff import Pair, Req
from tests.runtime_proxy.harness import start_upstream as harness_upstream


def json_config(routes: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None, **http: Any):
    def make(port: int) -> dict[str, Any]:
        srv: dict[str, Any] = {"listen": [f"127.0.0.1:{port}"], "routes": routes}
        if errors is not None:
            srv["errors"] = {"routes": errors}
        return {"apps": {"http": {"servers": {"srv0": srv}, **http}}}
    return make


async def fetch(port: int, req: Req, names: tuple[str, ...]) -> tuple[int, dict[str, list[str]], bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as s:
        url = URL(f"http://127.0.0.1:{port}{req.path}", encoded=True)  # sent as written: no dot-segment cleanup
        async with s.request(req.method, url, headers=req.headers,
                             data=req.body or None, allow_redirects=False) as r:
            return r.status, {n: r.headers.getall(n, []) for n in names}, await r.read()


async def assert_same(pair: Pair, reqs: list[Req], names: tuple[str, ...] = ()) -> None:
    for req in reqs:
        want = await fetch(pair.ports["caddy"], req, names)
        got = await fetch(pair.ports["py"], req, names)
        assert got == want, f"{req.method} {req.path} {req.headers}: caddy-py {got} != caddy {want}"


async def start_upstream(handler: Any) -> tuple[web.AppRunner, int]:
    """A real aiohttp server on 127.0.0.1 answering every path with `handler`; (runner, port)."""
    return await harness_upstream(handler=handler)
