"""The notifier served by caddy-py itself (in-process Runtime from a JSON config), reloads."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from caddy_py.config.runtime import Runtime

from .test_e2e import subscribe


def config(routes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": routes}}}}}


def notifier_route(upstream: str, path: str = "/ws", **extra: Any) -> dict[str, Any]:
    return {"match": [{"path": [path]}],
            "handle": [{"handler": "websocket_notifier", "upstream": upstream, "recover_wait": 50_000_000, **extra}]}


@pytest.fixture
async def runtime():
    rt = Runtime()
    yield rt
    await asyncio.wait_for(rt.stop(), 10)


def port(rt: Runtime) -> int:
    assert rt.current is not None
    return rt.current.http_ports()["srv0"][0]


async def test_served_by_caddy_py_and_reload_keeps_subscribers(runtime, backend, connect) -> None:
    await runtime.load(config([notifier_route(backend.url)]))
    await backend.wait_connected()
    c = await connect(f"ws://127.0.0.1:{port(runtime)}/ws")
    await subscribe(c, backend, ["a"])
    # reload with the route still there (new settings): the hub and the connection survive
    await runtime.load(config([notifier_route(backend.url, keep_alive=5_000_000_000)]))
    await backend.publish(["a"], "after reload")
    doc = await c.recv_doc()
    assert doc["payload"] == "after reload"
    assert len(backend.conns) == 1  # one link per upstream across the reload
    # reload without the route: the last user of the upstream went, subscribers get 1001
    await runtime.load(config([{"handle": [{"handler": "static_response", "body": "x"}]}]))
    assert await c.close_code() == 1001


async def test_upgrade_statuses_through_the_server(runtime, backend) -> None:
    import aiohttp

    await runtime.load(config([notifier_route(backend.url)]))
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{port(runtime)}/ws") as r:
            assert r.status == 400
        async with s.put(f"http://127.0.0.1:{port(runtime)}/ws") as r:
            assert r.status == 405


async def test_invalid_config_rejected(runtime, backend) -> None:
    from caddy_py.config.context import ConfigError

    with pytest.raises((ConfigError, ValueError)) as e:
        await runtime.load(config([notifier_route("http://x", path="/ws")]))
    assert "ws://" in str(e.value)
    with pytest.raises((ConfigError, ValueError)) as e:
        await runtime.load(config([notifier_route(backend.url, ping_interval=70_000_000_000)]))
    assert "ping_interval" in str(e.value) and "pong_wait" in str(e.value)


async def test_metadata_placeholders_from_the_upgrade_request(runtime, backend, connect) -> None:
    meta = {"ua": "{http.request.header.X-Client}", "path": "{http.request.uri.path}", "unknown": "{nope}",
            "empty": "{http.request.header.X-Absent}"}
    await runtime.load(config([notifier_route(backend.url, metadata=meta)]))
    await backend.wait_connected()
    c = await connect(f"ws://127.0.0.1:{port(runtime)}/ws", headers={"X-Client": "demo/1"})
    await c.send({"operation": "subscribe", "request_id": "m", "channels": ["a"]})
    req = await backend.next("subscribe")
    assert req["metadata"] == {"ua": "demo/1", "path": "/ws", "unknown": "{nope}", "empty": ""}
