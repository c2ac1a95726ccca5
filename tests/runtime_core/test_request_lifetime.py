"""A served request leaves no reference cycle behind: our Request and aiohttp's are freed by
reference counting as soon as the answer is out, not by a later pass of the cyclic collector
(which would otherwise walk every request's objects)."""
from __future__ import annotations

import gc

from aiohttp import web

from caddy_py.http.request import Request
from tests.runtime_core.conftest import respond, server_config


def live_requests() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, Request))


async def test_requests_are_freed_without_the_cyclic_collector(serve):
    s = await serve(server_config([
        {"match": [{"path": ["/v"]}], "handle": [{"handler": "vars", "a": "1"}, respond("{http.vars.a}")]},
        # handlers that leave prepare callbacks closing over the request
        {"match": [{"path": ["/z"]}], "handle": [
            {"handler": "encode", "encodings": {"gzip": {}}, "minimum_length": 1},
            {"handler": "headers", "response": {"set": {"X-A": ["{http.request.uri}"]}, "deferred": True}},
            respond("zz" * 100)]},
        {"handle": [respond("hi")]}]))
    gc.collect()
    gc.disable()
    try:
        before = live_requests()
        for path in ["/", "/v", "/z"] * 10:  # one keep-alive connection: each answer ends the one before
            status, headers, body = await s.get(path)
            assert status == 200 and body in ("hi", "1", "zz" * 100)
            assert path != "/z" or (headers["X-A"], headers["Content-Encoding"]) == ("/z", "gzip")
        # at most the last one may still be finishing on the server
        assert live_requests() - before <= 1
    finally:
        gc.enable()


async def test_proxied_requests_are_freed_without_the_cyclic_collector(serve):
    async def up(request: web.Request) -> web.Response:
        return web.Response(text="up")

    app = web.Application()
    app.router.add_get("/", up)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        s = await serve(server_config([{"handle": [
            {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}]}]}]))
        assert (await s.get("/"))[2] == "up"  # the upstream connection pool is set up
        gc.collect()
        gc.disable()
        try:
            before = live_requests()
            for _ in range(10):
                assert (await s.get("/"))[2] == "up"
            assert live_requests() - before <= 1
        finally:
            gc.enable()
    finally:
        await runner.cleanup()
