"""Peers started inside the test: an HTTP echo upstream and a WebSocket echo upstream."""
from __future__ import annotations

from typing import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from tests.runtime_proxy.harness import start_upstream


async def echo_http(request: web.Request) -> web.Response:
    body = await request.read()
    return web.Response(text=f"{request.method} {request.path_qs} {len(body)} {body[:64].decode(errors='replace')}")


async def echo_ws(request: web.Request) -> web.StreamResponse:
    """Echoes text and binary frames; a text `close NNNN` makes it close with code NNNN."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == aiohttp.WSMsgType.TEXT and msg.data.startswith("close "):
            await ws.close(code=int(msg.data.split()[1]))
        elif msg.type == aiohttp.WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type == aiohttp.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def echo_any(request: web.Request) -> web.StreamResponse:
    if request.headers.get("Upgrade", "").lower() == "websocket":
        return await echo_ws(request)
    return await echo_http(request)


@pytest.fixture
async def echo_upstream() -> AsyncIterator[int]:
    """Port of an upstream that echoes HTTP requests and WebSocket messages."""
    runner, port = await start_upstream(handler=echo_any)
    yield port
    await runner.cleanup()
