"""A WebSocket echo server behind `reverse_proxy` (from a Caddyfile), real caddy vs caddy-py: text and
binary messages both ways, the client's close code reaches the upstream and the upstream's close
code reaches the client, identically."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web

from tests.runtime_core.diff import Pair
from tests.runtime_proxy.harness import start_upstream

pytestmark = pytest.mark.timeout(60)


def caddyfile(upstream: int):
    def make(port: int) -> str:
        return f"""{{
	admin off
}}
:{port} {{
	bind 127.0.0.1
	reverse_proxy /ws/* 127.0.0.1:{upstream}
	respond /other "not a socket"
}}
"""
    return make


async def test_echo_both_ways_and_close_codes_match_caddy(caddy_bin, caddy_env, tmp_path):
    upstream_closed = asyncio.Queue[int | None]()

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT and msg.data.startswith("close "):
                await ws.close(code=int(msg.data.split()[1]), message=b"upstream bye")
            elif msg.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(request.path + " " + msg.data[::-1])
            elif msg.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(msg.data * 2)
        await upstream_closed.put(ws.close_code)
        return ws

    runner, up = await start_upstream(handler=ws_handler)
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, caddyfile(up)) as pair:
            results = []
            for name in ("caddy", "py"):
                url = f"http://127.0.0.1:{pair.ports[name]}/ws/chat"
                got: list[object] = []
                async with aiohttp.ClientSession() as s:
                    async with s.ws_connect(url) as ws:  # the client closes: code 4100
                        for text in ("hello", "x" * 70000):
                            await ws.send_str(text)
                            got.append((await asyncio.wait_for(ws.receive(), 10)).data[:20])
                        await ws.send_bytes(b"\x00\xffbin")
                        got.append((await asyncio.wait_for(ws.receive(), 10)).data)
                        await ws.close(code=4100, message=b"client bye")
                    got.append(("upstream saw", await asyncio.wait_for(upstream_closed.get(), 10)))
                    async with s.ws_connect(url) as ws:  # the upstream closes: code 4200
                        await ws.send_str("close 4200")
                        msg = await asyncio.wait_for(ws.receive(), 10)
                        got.append((msg.type, msg.data, msg.extra))
                    await asyncio.wait_for(upstream_closed.get(), 10)
                    async with s.get(f"http://127.0.0.1:{pair.ports[name]}/other") as r:
                        got.append((r.status, await r.text()))
                results.append(got)
            assert results[1] == results[0]
            assert ("upstream saw", 4100) in results[1]
            assert (aiohttp.WSMsgType.CLOSE, 4200, "upstream bye") in results[1]
    finally:
        await runner.cleanup()
