"""When the proxied response's head reaches the client: with the body (one write) for a body of
known length, at once for a streamed one (unknown length, SSE), as Go's flushing decides."""
from __future__ import annotations

import asyncio

from aiohttp import web


def rp(port: int, **extra: object) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}], **extra}


def head_then_gate(gate: asyncio.Event, headers: dict[str, str]):
    """An upstream that sends its head, then its body only once `gate` is set."""
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers=headers)
        await resp.prepare(request)
        await gate.wait()
        await resp.write(b"body")
        await resp.write_eof()
        return resp
    return handler


async def test_streamed_head_reaches_the_client_before_any_body(site, upstream, client):
    for headers in ({}, {"Content-Type": "text/event-stream", "Content-Length": "4"}):
        gate = asyncio.Event()
        port = await upstream(head_then_gate(gate, headers))
        s = await site([rp(port)])
        async with await asyncio.wait_for(client.get(s.url), 5) as r:
            assert r.status == 200
            gate.set()
            assert await asyncio.wait_for(r.read(), 5) == b"body"


async def test_known_length_body_arrives_whole_with_its_head(site, upstream, client):
    async def parts(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Length": "8", "X-Up": "1"})
        await resp.prepare(request)
        await resp.write(b"abcd")
        await asyncio.sleep(0)  # a second read on the proxy side
        await resp.write(b"efgh")
        await resp.write_eof()
        return resp

    port = await upstream(parts)
    s = await site([rp(port)])
    async with client.get(s.url) as r:
        assert (r.status, r.headers["Content-Length"], r.headers["X-Up"]) == (200, "8", "1")
        assert await r.read() == b"abcdefgh"


async def test_head_of_a_known_length_response_without_body(site, upstream, client):
    async def fixed(request: web.Request) -> web.Response:
        return web.Response(body=b"abcdefgh", headers={"X-Up": "1"})

    port = await upstream(fixed)
    s = await site([rp(port)])
    async with client.head(s.url) as r:
        assert (r.status, r.headers["Content-Length"], r.headers["X-Up"]) == (200, "8", "1")
        assert await r.read() == b""
