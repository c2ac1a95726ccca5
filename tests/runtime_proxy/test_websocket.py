"""WebSocket through reverse_proxy: frames both ways, close codes pass through untouched."""
from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from .test_proxy_basics import rp


def ws_upstream(closed_with: list[int | None], server_close: asyncio.Event | None = None):
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("chat",))
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                if msg.data == "close-me":
                    await ws.close(code=4001, message=b"bye from upstream")
                    break
                await ws.send_str("echo:" + msg.data)
            elif msg.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(msg.data[::-1])
        closed_with.append(ws.close_code)
        if server_close is not None:
            server_close.set()
        return ws
    return handler


async def test_messages_both_ways_and_client_close_code_reaches_upstream(site, upstream, client):
    closed: list[int | None] = []
    done = asyncio.Event()
    port = await upstream(ws_upstream(closed, done))
    s = await site([rp(port)])
    async with client.ws_connect(s.url + "/ws", protocols=("chat",)) as ws:
        assert ws.protocol == "chat"
        await ws.send_str("hi")
        assert (await asyncio.wait_for(ws.receive(), 5)).data == "echo:hi"
        await ws.send_bytes(b"\x00\x01\x02" * 1000)
        assert (await asyncio.wait_for(ws.receive(), 5)).data == (b"\x00\x01\x02" * 1000)[::-1]
        await ws.close(code=4321, message=b"client done")
    await asyncio.wait_for(done.wait(), 5)
    assert closed == [4321]


async def test_upstream_close_code_reaches_client(site, upstream, client):
    closed: list[int | None] = []
    port = await upstream(ws_upstream(closed))
    s = await site([rp(port)])
    async with client.ws_connect(s.url + "/ws") as ws:
        await ws.send_str("close-me")
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.CLOSE
        assert msg.data == 4001
        assert msg.extra == "bye from upstream"
        assert ws.close_code == 4001 or ws.close_code is None


async def test_upgrade_headers_reach_upstream(site, upstream, client):
    seen: dict[str, str] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        seen.update(request.headers)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    port = await upstream(handler)
    s = await site([rp(port)])
    async with client.ws_connect(s.url + "/ws?q=1") as ws:
        await asyncio.wait_for(ws.receive(), 5)
    assert seen["Connection"] == "Upgrade"
    assert seen["Upgrade"] == "websocket"
    assert seen["Via"] == "1.1 Caddy"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert "Sec-WebSocket-Key" in seen


async def test_stream_timeout_closes_the_tunnel(site, upstream, client):
    closed: list[int | None] = []
    port = await upstream(ws_upstream(closed))
    s = await site([rp(port, stream_timeout="300ms")])
    async with client.ws_connect(s.url + "/ws") as ws:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)


async def test_upstream_refusing_the_upgrade_answers_normally(site, upstream, client):
    async def plain(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no websockets here")

    port = await upstream(plain)
    s = await site([rp(port)])
    try:
        async with client.ws_connect(s.url + "/ws"):
            raise AssertionError("the handshake should have failed")
    except aiohttp.WSServerHandshakeError as e:
        assert e.status == 404
    # the same request without the handshake helper, to see the body
    async with client.get(s.url + "/ws", headers={"Connection": "Upgrade", "Upgrade": "websocket"}) as r:
        assert r.status == 404 and await r.text() == "no websockets here"
