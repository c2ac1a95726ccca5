"""What Go's net/http answers before Caddy's handler runs, compared with real Caddy on raw sockets."""
from __future__ import annotations

import pytest

from tests.runtime_core.conftest import raw_http
from tests.runtime_core.diff import Pair

pytestmark = pytest.mark.timeout(60)


def status_line(resp: bytes) -> bytes:
    return resp.split(b"\r\n", 1)[0]


def has_server_header(resp: bytes) -> bool:
    head = resp.split(b"\r\n\r\n", 1)[0].lower()
    return b"\r\nserver:" in head


def make(port: int) -> dict:
    return {"apps": {"http": {"servers": {"s": {"listen": [f"127.0.0.1:{port}"], "routes": [
        {"match": [{"path": ["/x"], "host": ["other.test"]}], "handle": [{"handler": "static_response", "status_code": 204}]},
        {"handle": [{"handler": "static_response", "body": "ok"}]}],
        "automatic_https": {"disable": True}}}}}}


CASES = [
    b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",                             # no Host
    b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",       # two Hosts
    b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET / HTTP/1.0\r\n\r\n",                                                   # 1.0 needs no Host
    b"GET http://other.test/x?y=1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",  # absolute-form
] + [  # Caddy reads 16 KiB + Go's 4096 bytes of request line and headers; more is 431
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * n + b"\r\nConnection: close\r\n\r\n"
    for n in (20400, 20440, 1 << 20)
] + [
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-B%d: " % i + b"a" * n + b"\r\n" for i in range(4))
    + b"Connection: close\r\n\r\n" for n in (4000, 5200)
]


async def test_edges_match_caddy(caddy_bin, caddy_env, tmp_path):
    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        for data in CASES:
            want = await raw_http(pair.ports["caddy"], data)
            got = await raw_http(pair.ports["py"], data)
            assert status_line(got) == status_line(want), data[:60]
            assert has_server_header(got) == has_server_header(want), data[:60]


async def test_underscore_headers_are_dropped(serve):
    from tests.runtime_core.conftest import respond, server_config

    s = await serve(server_config([{"handle": [respond("[{http.request.header.X_A}][{http.request.header.X-B}]")]}]))
    assert await s.body("/", headers={"X_A": "1", "X-B": "2"}) == "[][2]"


async def test_http10_without_host_has_empty_host(serve):
    from tests.runtime_core.conftest import raw_http, respond, server_config

    s = await serve(server_config([{"handle": [respond("[{http.request.host}]")]}]))
    resp = await raw_http(s.port, b"GET / HTTP/1.0\r\n\r\n")
    assert resp.startswith(b"HTTP/1.0 200") and resp.endswith(b"\r\n\r\n[]")


async def test_expect_100_continue(serve):
    import asyncio

    from tests.runtime_core.conftest import respond, server_config

    s = await serve(server_config([{"handle": [respond("got it")]}]))
    reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
    try:
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 OK")
    finally:
        writer.close()
