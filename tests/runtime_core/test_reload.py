"""Config replacement in-process: same listener, in-flight requests finish on the old config,
a failed load leaves the old config serving, stop closes the port."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from caddy_py.config.context import ConfigError
from caddy_py.config.runtime import Runtime
from caddy_py.config.usagepool import pool
from tests.runtime_core import gate
from tests.runtime_core.conftest import respond
from tests.runtime_core.diff import free_port


def config(port: int, routes: list) -> dict:
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{port}"], "routes": routes}}}}}


@pytest.fixture
async def runtime():
    rt = Runtime()
    rt.manage_admin = False
    yield rt
    await asyncio.wait_for(rt.stop(), 10)


async def get(port: int, path: str = "/") -> tuple[int, str]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        async with s.get(f"http://127.0.0.1:{port}{path}") as r:
            return r.status, await r.text()


async def test_reload_swaps_routes_on_the_same_socket(runtime):
    port = free_port()
    await runtime.load(config(port, [{"handle": [respond("one")]}]))
    sock_before = pool("http.listeners").get(f"tcp/127.0.0.1:{port}").server
    assert await get(port) == (200, "one")
    await runtime.load(config(port, [{"handle": [respond("two")]}]))
    assert await get(port) == (200, "two")
    assert pool("http.listeners").get(f"tcp/127.0.0.1:{port}").server is sock_before
    assert pool("http.listeners").references(f"tcp/127.0.0.1:{port}") == (1, True)


async def test_in_flight_request_finishes_on_old_handlers(runtime):
    port = free_port()
    gate.reset("old")
    await runtime.load(config(port, [
        {"match": [{"path": ["/slow"]}], "handle": [{"handler": "test_gate", "name": "old", "body": "old-slow"}]},
        {"handle": [respond("old")]},
    ]))
    slow = asyncio.create_task(get(port, "/slow"))
    await asyncio.wait_for(gate.ARRIVED["old"].wait(), 5)
    await runtime.load(config(port, [{"handle": [respond("new")]}]))
    assert await get(port, "/slow") == (200, "new")
    gate.GATES["old"].set()
    assert await asyncio.wait_for(slow, 5) == (200, "old-slow")


async def test_failed_load_keeps_old_config(runtime):
    port = free_port()
    await runtime.load(config(port, [{"handle": [respond("good")]}]))
    bad = config(port, [{"handle": [{"handler": "no_such_handler"}]}])
    with pytest.raises(ConfigError, match="http.handlers.no_such_handler"):
        await runtime.load(bad)
    assert await get(port) == (200, "good")
    other = free_port()
    busy = config(other, [{"handle": [respond("x")]}])
    busy["apps"]["http"]["servers"]["srv1"] = {"listen": [f"127.0.0.1:{other}"]}
    with pytest.raises(ConfigError, match="repeated"):
        await runtime.load(busy)
    assert await get(port) == (200, "good")


async def test_failed_listen_releases_new_listeners(runtime):
    port = free_port()
    await runtime.load(config(port, [{"handle": [respond("good")]}]))
    blocker = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    taken = blocker.sockets[0].getsockname()[1]
    try:
        cfg = config(port, [{"handle": [respond("new")]}])
        cfg["apps"]["http"]["servers"]["srv1"] = {"listen": [f"127.0.0.1:{taken}"]}
        with pytest.raises(ConfigError, match="listening on"):
            await runtime.load(cfg)
    finally:
        blocker.close()
    assert await get(port) == (200, "good")
    assert pool("http.listeners").references(f"tcp/127.0.0.1:{port}") == (1, True)


async def test_stop_closes_the_port(runtime):
    port = free_port()
    await runtime.load(config(port, [{"handle": [respond("x")]}]))
    await runtime.stop()
    with pytest.raises(aiohttp.ClientConnectorError):
        await get(port)
    assert pool("http.listeners").references(f"tcp/127.0.0.1:{port}") == (0, False)
