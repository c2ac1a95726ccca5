"""reverse_proxy features beyond the basics: handle_response routes with copy_response(_headers),
upstream placeholders, rewrite, buffering, keep-alive off, unix sockets, dynamic upstreams,
retry_match, and closing WebSocket tunnels when the config is unloaded."""
from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from .test_balancing import hangup, named
from .test_proxy_basics import two_events


def rp(port: int, **extra: object) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}], **extra}


async def test_handle_response_routes_copy_response_and_headers(site, upstream, client):
    async def up(request: web.Request) -> web.Response:
        code = int(request.query.get("s", "200"))
        return web.Response(text=f"upstream {code}", status=code,
                            headers={"X-Keep": "k", "X-Other": "o"})

    port = await upstream(up)
    s = await site([rp(port, handle_response=[
        {"match": {"status_code": [4]}, "routes": [{"handle": [
            {"handler": "copy_response_headers", "include": ["X-Keep"]},
            {"handler": "static_response", "status_code": 200,
             "body": "handled {http.reverse_proxy.status_code} {http.reverse_proxy.header.X-Other}"},
        ]}]},
        {"match": {"status_code": [503]}, "routes": [{"handle": [
            {"handler": "copy_response", "status_code": 502}]}]},
    ])])
    async with client.get(s.url + "/?s=404") as r:
        assert r.status == 200
        assert await r.text() == "handled 404 o"
        assert r.headers["X-Keep"] == "k" and "X-Other" not in r.headers
    async with client.get(s.url + "/?s=503") as r:
        assert r.status == 502 and await r.text() == "upstream 503"
        assert r.headers["X-Other"] == "o"
    async with client.get(s.url + "/?s=200") as r:
        assert r.status == 200 and await r.text() == "upstream 200"


async def test_upstream_placeholders_in_response_headers(site, upstream, client):
    port = await upstream(named("x"))
    s = await site([rp(port, headers={"response": {"set": {
        "X-Upstream": ["{http.reverse_proxy.upstream.hostport}"],
        "X-Port": ["{http.reverse_proxy.upstream.port}"]}}})])
    async with client.get(s.url) as r:
        assert r.headers["X-Upstream"] == f"127.0.0.1:{port}"
        assert r.headers["X-Port"] == str(port)


async def test_response_header_ops_require(site, upstream, client):
    async def up(request: web.Request) -> web.Response:
        return web.Response(text="x", status=int(request.query.get("s", "200")))

    port = await upstream(up)
    s = await site([rp(port, headers={"response": {"set": {"X-Err": ["yes"]},
                                                   "require": {"status_code": [5]}}})])
    async with client.get(s.url + "/?s=500") as r:
        assert r.headers.get("X-Err") == "yes"
    async with client.get(s.url + "/?s=200") as r:
        assert "X-Err" not in r.headers


async def test_rewrite_of_the_upstream_request(site, upstream, client):
    seen: list[tuple[str, str, bytes]] = []

    async def up(request: web.Request) -> web.Response:
        seen.append((request.method, request.raw_path, await request.read()))
        return web.Response(text="ok")

    port = await upstream(up)
    s = await site([rp(port, rewrite={"method": "GET", "uri": "/check{http.request.uri.path}?orig=1"})])
    async with client.post(s.url + "/p/q?x=1", data=b"body") as r:
        assert r.status == 200
    assert seen == [("GET", "/check/p/q?orig=1", b"")]


async def test_request_and_response_buffers(site, upstream, client):
    seen: list[str | None] = []

    async def up(request: web.Request) -> web.StreamResponse:
        seen.append(request.headers.get("Content-Length"))
        await request.read()
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"a" * 10)
        await resp.write(b"b" * 10)
        await resp.write_eof()
        return resp

    port = await upstream(up)
    s = await site([rp(port, request_buffers=1024, response_buffers=1024)])

    async def gen():
        yield b"chunk1"
        yield b"chunk2"

    async with client.post(s.url, data=gen()) as r:
        assert r.headers.get("Content-Length") == "20"
        assert await r.read() == b"a" * 10 + b"b" * 10
    assert seen == ["12"]


async def test_chunked_upload_is_streamed_upstream(site, upstream, client):
    got: list[bytes] = []

    async def up(request: web.Request) -> web.Response:
        got.append(await request.read())
        return web.Response(text="ok")

    port = await upstream(up)
    s = await site([rp(port)])

    async def gen():
        for i in range(5):
            yield f"part{i};".encode()

    async with client.post(s.url, data=gen()) as r:
        assert r.status == 200
    assert got == [b"part0;part1;part2;part3;part4;"]


async def test_keepalive_off_uses_a_new_connection_each_time(site, upstream, client):
    peers: list[int] = []

    async def up(request: web.Request) -> web.Response:
        peers.append(request.transport.get_extra_info("peername")[1])  # type: ignore[union-attr]
        return web.Response(text="ok")

    port = await upstream(up)
    off = await site([rp(port, transport={"protocol": "http", "keep_alive": {"enabled": False}})])
    for _ in range(3):
        async with client.get(off.url) as r:
            await r.read()
    assert len(set(peers)) == 3
    peers.clear()
    on = await site([rp(port)])
    for _ in range(3):
        async with client.get(on.url) as r:
            await r.read()
    assert len(set(peers)) == 1


async def test_unix_socket_upstream(site, client, tmp_path: Path):
    path = str(tmp_path / "up.sock")
    app = web.Application()
    app.router.add_get("/", named("over unix"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.UnixSite(runner, path).start()
    try:
        s = await site([{"handler": "reverse_proxy", "upstreams": [{"dial": f"unix/{path}"}]}])
        async with client.get(s.url) as r:
            assert await r.text() == "over unix"
    finally:
        await runner.cleanup()


async def test_dynamic_a_upstreams(site, upstream, client):
    port = await upstream(named("dyn"))
    s = await site([{"handler": "reverse_proxy", "dynamic_upstreams": {
        "source": "a", "name": "localhost", "port": str(port), "versions": {"ipv4": True}}}])
    async with client.get(s.url) as r:
        assert await r.text() == "dyn"
    m = await site([{"handler": "reverse_proxy", "dynamic_upstreams": {"source": "multi", "sources": [
        {"source": "srv", "name": "_http._tcp.invalid"},
        {"source": "a", "name": "127.0.0.1", "port": str(port)}]}}])
    async with client.get(m.url) as r:
        assert await r.text() == "dyn"


async def test_retry_match_allows_retrying_a_post(site, upstream, client):
    calls: list[str] = []
    bad = await upstream(hangup(calls))
    good = await upstream(named("good"))
    s = await site([{"handler": "reverse_proxy",
                     "upstreams": [{"dial": f"127.0.0.1:{bad}"}, {"dial": f"127.0.0.1:{good}"}],
                     "load_balancing": {"selection_policy": {"policy": "round_robin"}, "retries": 1,
                                        "retry_match": [{"method": ["PUT"]}]},
                     "request_buffers": 4096}])
    # round_robin starts at the second upstream: make the first attempt hit `bad`
    async with client.get(s.url) as r:
        assert await r.text() == "good"
    async with client.put(s.url, data=b"x") as r:
        assert r.status == 200 and await r.text() == "good"
    assert set(calls) == {"PUT"}  # (aiohttp itself may resend an idempotent PUT once)


async def test_unloading_the_config_closes_websockets_with_1001(site, upstream, client):
    upstream_closed = asyncio.Event()
    codes: list[int | None] = []

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _ in ws:
            pass
        codes.append(ws.close_code)
        upstream_closed.set()
        return ws

    port = await upstream(ws_handler)
    s = await site([rp(port)])
    async with client.ws_connect(s.url + "/ws") as ws:
        await ws.send_str("hello")
        await s.ctx.cleanup()  # what a config reload/stop does to the old handler
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
    await asyncio.wait_for(upstream_closed.wait(), 5)
    assert codes == [1001]


async def raw_upstream(answer: bytes):
    """A bare TCP upstream that reads one request head and writes `answer` as is."""
    async def on_conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(on_conn, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_no_server_header_from_upstream_means_none_to_the_client(site, client):
    server, port = await raw_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\nok")
    try:
        s = await site([rp(port)])
        async with client.get(s.url) as r:
            assert await r.text() == "ok"
            assert "Server" not in r.headers and r.headers["X-A"] == "b"
            assert r.headers["Via"] == "1.1 Caddy"
    finally:
        server.close()


async def test_chunked_upstream_body_and_http10_via(site, client):
    server, port = await raw_upstream(
        b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
    try:
        s = await site([rp(port)])
        async with client.get(s.url) as r:
            assert await r.text() == "until close"
            assert r.headers["Via"] == "1.0 Caddy"
    finally:
        server.close()


async def test_unhealthy_latency_counts_a_failure(site, client, upstream):
    slow = await upstream(named("slow"))
    fast = await upstream(named("fast"))
    s = await site([{"handler": "reverse_proxy",
                     "upstreams": [{"dial": f"127.0.0.1:{slow}"}, {"dial": f"127.0.0.1:{fast}"}],
                     "load_balancing": {"selection_policy": {"policy": "first"}},
                     "health_checks": {"passive": {"fail_duration": "1m", "unhealthy_latency": 1}}}])
    got = []
    for _ in range(3):
        async with client.get(s.url) as r:
            got.append((r.status, await r.text()))
    # every answer takes >= 1ns: each host fails in turn, then none is left
    assert got == [(200, "slow"), (200, "fast"), (503, "")]


async def test_sse_through_encode_and_proxy_streams_each_event(site, upstream, client):
    import zlib

    second = asyncio.Event()
    port = await upstream(two_events(b"data: first\n\n", second, b"data: second\n\n"))
    s = await site([{"handler": "encode", "encodings": {"gzip": {}}, "minimum_length": 1}, rp(port)])
    async with client.get(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        d = zlib.decompressobj(31)
        got = b""
        while b"\n\n" not in got:
            got += d.decompress(await asyncio.wait_for(r.content.readany(), 5))
        assert got == b"data: first\n\n"
        second.set()
        got += d.decompress(await r.read())
        assert got.endswith(b"data: second\n\n")


async def test_read_timeout_cuts_a_stalled_body(site, upstream, client):
    release = asyncio.Event()

    async def stall(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await resp.prepare(request)
        await resp.write(b"partial")
        await release.wait()
        return resp

    port = await upstream(stall)
    s = await site([rp(port, transport={"protocol": "http", "read_timeout": "200ms"})])
    try:
        async with client.get(s.url) as r:
            assert r.status == 200
            with pytest.raises(aiohttp.ClientPayloadError):
                await asyncio.wait_for(r.read(), 10)
    finally:
        release.set()


async def test_stream_close_delay_keeps_tunnels_open_after_unload(site, upstream, client):
    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str("echo " + msg.data)
        return ws

    port = await upstream(ws_handler)
    s = await site([rp(port, stream_close_delay="1h")])
    async with client.ws_connect(s.url + "/ws") as ws:
        await s.ctx.cleanup()
        await ws.send_str("still here")
        assert (await asyncio.wait_for(ws.receive(), 5)).data == "echo still here"


async def test_retry_match_on_the_response_status(site, upstream, client):
    busy = await upstream(named("busy", 503))
    fine = await upstream(named("fine"))
    s = await site([{"handler": "reverse_proxy",
                     "upstreams": [{"dial": f"127.0.0.1:{busy}"}, {"dial": f"127.0.0.1:{fine}"}],
                     "load_balancing": {"selection_policy": {"policy": "round_robin"}, "retries": 2,
                                        "retry_match": [{"expression": "{http.reverse_proxy.status_code} == 503"}]}}])
    got = []
    for _ in range(2):
        async with client.get(s.url) as r:
            got.append((r.status, await r.text()))
    assert got == [(200, "fine"), (200, "fine")]


async def test_unload_waits_for_requests_in_flight(site, upstream, client):
    gate = asyncio.Event()
    entered = asyncio.Event()

    async def slow(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"first ")
        entered.set()
        await gate.wait()
        await resp.write(b"second")
        return resp

    port = await upstream(slow)
    s = await site([rp(port)])
    async with client.get(s.url) as r:
        await asyncio.wait_for(entered.wait(), 5)
        await s.ctx.cleanup()  # a reload replacing this config
        gate.set()
        assert await asyncio.wait_for(r.read(), 5) == b"first second"
