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


@pytest.mark.parametrize("handler", ["test_ws", "test_ws_plain"])
async def test_hijacked_websocket_survives_reload(runtime, handler):
    """With or without req.hijack(): an upgraded connection is not the server's to close."""
    port = free_port()
    await runtime.load(config(port, [{"handle": [{"handler": handler, "tag": "old"}]}]))
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
            await ws.send_str("a")
            assert (await ws.receive(timeout=5)).data == "old:a"
            await runtime.load(config(port, [{"handle": [{"handler": handler, "tag": "new"}]}]))
            # the old config is stopping; the hijacked connection is left alone
            await asyncio.wait_for(asyncio.gather(*runtime.stopping), 5)
            await ws.send_str("b")
            assert (await ws.receive(timeout=5)).data == "old:b"
            async with s.ws_connect(f"http://127.0.0.1:{port}/ws") as ws2:
                await ws2.send_str("c")
                assert (await ws2.receive(timeout=5)).data == "new:c"


async def test_stop_waits_for_in_flight_then_grace_cuts(runtime):
    port = free_port()
    gate.reset("stop")
    await runtime.load(config(port, [{"handle": [{"handler": "test_gate", "name": "stop", "body": "finished"}]}]))
    slow = asyncio.create_task(get(port))
    await asyncio.wait_for(gate.ARRIVED["stop"].wait(), 5)
    stopping = asyncio.create_task(runtime.stop())
    await asyncio.sleep(0)  # one loop turn: stop has begun (no timing assumption)
    assert not stopping.done()
    gate.GATES["stop"].set()
    assert await asyncio.wait_for(slow, 5) == (200, "finished")
    await asyncio.wait_for(stopping, 5)


async def test_grace_period_bounds_shutdown(runtime):
    port = free_port()
    gate.reset("grace")
    cfg = config(port, [{"handle": [{"handler": "test_gate", "name": "grace", "body": "never"}]}])
    cfg["apps"]["http"]["grace_period"] = "50ms"
    await runtime.load(cfg)
    slow = asyncio.create_task(get(port))
    await asyncio.wait_for(gate.ARRIVED["grace"].wait(), 5)
    await asyncio.wait_for(runtime.stop(), 5)  # returns although the gate never opens
    with pytest.raises(aiohttp.ClientError):
        await asyncio.wait_for(slow, 5)


async def test_listen_forms(runtime):
    p1, p2 = free_port(), free_port()
    while p2 + 1 == p1 or p2 == p1:
        p2 = free_port()
    cfg = {"admin": {"disabled": True}, "apps": {"http": {"servers": {
        "a": {"listen": [f":{p1}"], "routes": [{"handle": [respond("all-interfaces")]}]},
        "b": {"listen": [f"tcp/127.0.0.1:{p2}"], "routes": [{"handle": [respond("tcp-prefixed")]}]},
    }}}}
    await runtime.load(cfg)
    assert await get(p1) == (200, "all-interfaces")
    assert await get(p2) == (200, "tcp-prefixed")


async def test_port_range(runtime):
    for _ in range(20):
        base = free_port()
        if base < 65000:
            try:
                await runtime.load(config(base, []) | {"apps": {"http": {"servers": {"r": {
                    "listen": [f"127.0.0.1:{base}-{base + 2}"], "routes": [{"handle": [respond("{http.request.port}")]}]}}}}})
            except ConfigError:
                continue  # a neighbour port was busy; pick another range
            break
    ports = runtime.current.http_ports()["r"]
    assert len(ports) == 3
    for p in ports:
        assert await get(p) == (200, str(p))


async def test_idle_keepalive_connection_is_closed_on_reload(runtime):
    port = free_port()
    await runtime.load(config(port, [{"handle": [respond("one")]}]))
    async with aiohttp.ClientSession() as s:  # keep-alive pool
        async with s.get(f"http://127.0.0.1:{port}/") as r:
            assert await r.text() == "one"
        await runtime.load(config(port, [{"handle": [respond("two")]}]))
        await asyncio.wait_for(asyncio.gather(*runtime.stopping), 5)
        async with s.get(f"http://127.0.0.1:{port}/") as r:
            assert await r.text() == "two"


async def test_listen_address_placeholders(runtime, monkeypatch):
    port = free_port()
    monkeypatch.setenv("CADDY_PY_TEST_PORT", str(port))
    await runtime.load(config(0, [{"handle": [respond("from env")]}]) | {"apps": {"http": {"servers": {"srv0": {
        "listen": ["127.0.0.1:{env.CADDY_PY_TEST_PORT}"], "routes": [{"handle": [respond("from env")]}]}}}}})
    assert await get(port) == (200, "from env")
    with pytest.raises(ConfigError, match="listener 0: unrecognized placeholder {nope}"):
        await runtime.load(config(0, []) | {"apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:{nope}"]}}}}})
