"""reverse_proxy basics against real aiohttp upstreams: headers both ways, bodies, errors."""
from __future__ import annotations

import asyncio
import json
import socket

from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({
        "method": request.method, "path": request.raw_path, "body": body.decode(),
        "headers": [[k, v] for k, v in request.headers.items()],
    }, headers={"Server": "upstream-srv", "X-Up": "1"})


def rp(*ports: int, **extra: object) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{p}"} for p in ports], **extra}


def hdr(data: dict, name: str) -> list[str]:
    return [v for k, v in data["headers"] if k.lower() == name.lower()]


async def test_forwarded_headers_replace_client_values_and_via_both_ways(site, upstream, client):
    port = await upstream(echo)
    s = await site([rp(port)])
    async with client.get(s.url + "/a/b?x=1", headers={
        "X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil",
        "Connection": "X-Drop, keep-alive", "X-Drop": "1", "Keep-Alive": "timeout=5"}) as r:
        assert r.status == 200
        data = await r.json()
        assert r.headers["Via"] == "1.1 Caddy"
        assert r.headers["Server"] == "upstream-srv"
        assert r.headers["X-Up"] == "1"
    assert data["path"] == "/a/b?x=1"
    assert hdr(data, "X-Forwarded-For") == ["127.0.0.1"]
    assert hdr(data, "X-Forwarded-Proto") == ["http"]
    assert hdr(data, "X-Forwarded-Host") == [f"127.0.0.1:{s.port}"]
    assert hdr(data, "Via") == ["1.1 Caddy"]
    assert hdr(data, "X-Drop") == [] and hdr(data, "Keep-Alive") == []
    assert hdr(data, "Host") == [f"127.0.0.1:{s.port}"]


async def test_trusted_proxy_keeps_and_appends_forwarded_values(site, upstream, client):
    port = await upstream(echo)
    s = await site([rp(port, trusted_proxies=["127.0.0.0/8"])])
    async with client.get(s.url, headers={"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https",
                                          "X-Forwarded-Host": "front.example"}) as r:
        data = await r.json()
    assert hdr(data, "X-Forwarded-For") == ["6.6.6.6, 127.0.0.1"]
    assert hdr(data, "X-Forwarded-Proto") == ["https"]
    assert hdr(data, "X-Forwarded-Host") == ["front.example"]


async def test_request_body_and_header_ops(site, upstream, client):
    port = await upstream(echo)
    s = await site([rp(port, headers={
        "request": {"set": {"X-Set": ["{http.request.header.X-In}-ok"]}, "delete": ["X-Gone"],
                    "add": {"X-Add": ["a"]}},
        "response": {"set": {"X-Resp": ["yes"]}, "delete": ["X-Up"],
                     "replace": {"Server": [{"search_regexp": "up(\\w+)", "replace": "down$1"}]}},
    })])
    async with client.post(s.url + "/p", data=b"hello body", headers={"X-In": "v", "X-Gone": "1"}) as r:
        data = await r.json()
        assert r.headers["X-Resp"] == "yes"
        assert "X-Up" not in r.headers
        assert r.headers["Server"] == "downstream-srv"
    assert data["body"] == "hello body" and data["method"] == "POST"
    assert hdr(data, "X-Set") == ["v-ok"]
    assert hdr(data, "X-Gone") == []
    assert hdr(data, "X-Add") == ["a"]


def _dead_port() -> int:
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]


async def test_dial_failure_is_502(site, client):
    s = await site([rp(_dead_port())])
    async with client.get(s.url) as r:
        assert r.status == 502


async def test_response_header_timeout_is_504(site, upstream, client):
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(text="late")

    port = await upstream(slow)
    s = await site([rp(port, transport={"protocol": "http", "response_header_timeout": "200ms"})])
    try:
        async with client.get(s.url) as r:
            assert r.status == 504
    finally:
        release.set()


def two_events(first: bytes, gate: asyncio.Event, second: bytes):
    """An SSE upstream: one event, then another once `gate` is set."""
    async def stream(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(first)
        await gate.wait()
        await resp.write(second)
        await resp.write_eof()
        return resp
    return stream


async def test_streaming_chunks_arrive_before_the_response_ends(site, upstream, client):
    second = asyncio.Event()
    port = await upstream(two_events(b"data: one\n\n", second, b"data: two\n\n"))
    s = await site([rp(port, flush_interval=-1)])
    async with client.get(s.url) as r:
        first = await asyncio.wait_for(r.content.readuntil(b"\n\n"), 5)
        assert first == b"data: one\n\n"
        second.set()
        assert await asyncio.wait_for(r.content.read(), 5) == b"data: two\n\n"


async def test_upstream_gzip_is_decompressed_when_client_did_not_ask(site, upstream, client):
    import gzip

    async def gz(request: web.Request) -> web.Response:
        assert request.headers.get("Accept-Encoding") == "gzip"
        return web.Response(body=gzip.compress(b"plain text"), headers={"Content-Encoding": "gzip"})

    port = await upstream(gz)
    s = await site([rp(port)])
    async with client.get(s.url, skip_auto_headers=["Accept-Encoding"]) as r:
        assert r.status == 200
        assert "Content-Encoding" not in r.headers
        assert await r.read() == b"plain text"


async def test_replace_status_via_handle_response(site, upstream, client):
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="body")

    port = await upstream(ok)
    s = await site([rp(port, handle_response=[{"status_code": 201}])])
    async with client.get(s.url) as r:
        assert r.status == 201
        assert await r.text() == "body"
