"""`timeouts`: per-route idle read/write deadlines, exercised with real slow clients on sockets.

caddy 2.11.7 enforces neither deadline in these setups (a stalled body through reverse_proxy and a
stalled file_server download both run to the end with it), so the cut-offs are checked against
the documented behaviour only; what caddy does observe the same (normal traffic through the
handler) is compared with the real caddy.
"""
from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import pytest
from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.timeouts.handler import Timeouts
from tests.runtime_core.conftest import respond, server_config
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, start_upstream

pytestmark = pytest.mark.timeout(60)


@register("http.handlers.test_timeouts_body_reader")
class BodyReader:
    """Reads the whole body as a handler would; a read that fails answers 408 (as Caddy's test)."""

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "BodyReader":
        return cls()

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        try:
            data = await req.raw.read()
        except TimeoutError as e:
            return web.Response(status=408, text=str(e))
        return web.Response(text=f"got {len(data)}")


def _reader_routes(**timeouts: Any) -> list[dict[str, Any]]:
    return [{"handle": [{"handler": "timeouts", **timeouts}, {"handler": "test_timeouts_body_reader"}]}]


async def _open(port: int, rcvbuf: int | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock, limit=1 << 16)


async def _read_all(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.read(-1), 20)


async def test_a_stalled_body_read_fails_and_the_connection_closes(serve) -> None:
    s = await serve(server_config(_reader_routes(read_timeout=200_000_000)))
    reader, writer = await _open(s.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")  # then nothing
    answer = await _read_all(reader)  # EOF: the server closed after answering
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"Connection: close" in answer and answer.endswith(b"i/o timeout")


async def test_a_slow_steady_body_is_not_cut(serve) -> None:
    """Every gap is far below the timeout while the whole upload takes longer than it."""
    s = await serve(server_config(_reader_routes(read_timeout=1_000_000_000)))
    reader, writer = await _open(s.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 150\r\nConnection: close\r\n\r\n")
    for _ in range(30):
        await asyncio.sleep(0.05)  # a slow client, not a wait for an event
        writer.write(b"12345")
    answer = await _read_all(reader)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"got 150")


async def test_a_body_below_the_minimum_rate_is_cut(serve) -> None:
    """No gap reaches the timeout, but 100 bytes/s falls behind a 1000 bytes/s minimum."""
    s = await serve(server_config(_reader_routes(read_timeout=300_000_000, read_min_rate=1000)))
    reader, writer = await _open(s.port)
    writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")

    async def trickle() -> None:
        while not writer.is_closing():
            writer.write(b"12345")
            await asyncio.sleep(0.05)

    task = asyncio.create_task(trickle())
    try:
        answer = await _read_all(reader)
    finally:
        task.cancel()
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408 ")


async def test_a_body_already_sent_is_read_whatever_the_deadline(serve) -> None:
    s = await serve(server_config(_reader_routes(read_timeout=1_000_000, read_min_rate=10)))
    status, _, body = await s.request("POST", "/", data=b"x" * 100_000)
    assert (status, body) == (200, "got 100000")


class _Seen(logging.Handler):
    def __init__(self, message: str) -> None:
        super().__init__(logging.DEBUG)
        self.message = message
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == self.message:
            self.event.set()


@pytest.fixture
def write_timed_out():
    log = logging.getLogger("http.handlers.timeouts")
    seen = _Seen("response write timed out")
    old = log.level
    log.setLevel(logging.DEBUG)
    log.addHandler(seen)
    yield seen.event
    log.removeHandler(seen)
    log.setLevel(old)


def _file_routes(root: str, **timeouts: Any) -> list[dict[str, Any]]:
    return [{"handle": [{"handler": "timeouts", **timeouts}, {"handler": "file_server", "root": root}]}]


BIG = 48 * 1024 * 1024  # far more than the socket buffers between the two ends hold


@pytest.fixture
def big_file(tmp_path):
    with open(tmp_path / "big", "wb") as f:
        f.truncate(BIG)
    return tmp_path


async def test_a_client_that_stops_reading_is_cut_off(serve, big_file, write_timed_out) -> None:
    s = await serve(server_config(_file_routes(str(big_file), write_timeout=200_000_000)))
    reader, writer = await _open(s.port, rcvbuf=4096)
    writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    await asyncio.wait_for(write_timed_out.wait(), 20)
    try:
        got = len(await _read_all(reader))
    except ConnectionResetError:
        got = 0
    writer.close()
    assert got < BIG


async def test_a_client_that_reads_gets_everything(serve, big_file) -> None:
    s = await serve(server_config(_file_routes(str(big_file), write_timeout=2_000_000_000,
                                               max_write_chunk=4096)))
    reader, writer = await _open(s.port, rcvbuf=4096)
    writer.write(b"GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    answer = await _read_all(reader)
    writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and len(body) == BIG


def test_bad_numbers_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="read_min_rate"):
        Timeouts.from_json({"read_timeout": 1, "read_min_rate": "fast"})
    with pytest.raises(ConfigError, match="invalid duration"):
        Timeouts.from_json({"write_timeout": "soon"})


CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\ttimeouts {{
\t\tread_timeout 5s 10
\t\twrite_timeout 5s
\t\tmax_write_chunk 1KiB
\t}}
\trespond /a "hello {{method}}"
\trespond /b 404
}}
"""


async def test_normal_traffic_is_served_as_caddy_does(caddy_bin, caddy_env, tmp_path) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        await assert_same(pair, [Req("GET", "/a"), Req("POST", "/a", body=b"x" * 5000), Req("GET", "/b"),
                                 Req("HEAD", "/a")], ("Content-Type", "Content-Length", "Server"))


async def test_without_timeouts_it_passes_through(serve) -> None:
    s = await serve(server_config([{"handle": [{"handler": "timeouts"}, respond("ok")]}]))
    status, _, body = await s.get("/")
    assert (status, body) == (200, "ok")


async def test_a_stalled_body_through_reverse_proxy_is_a_gateway_timeout(serve) -> None:
    """The proxied body read fails with Go's timeout error: 504, then the connection closes."""
    async def echo_len(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())}")

    runner, up = await start_upstream(echo_len)
    try:
        s = await serve(server_config([{"handle": [
            {"handler": "timeouts", "read_timeout": 200_000_000},
            {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]}]))
        reader, writer = await _open(s.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        answer = await _read_all(reader)
        writer.close()
    finally:
        await runner.cleanup()
    assert answer.startswith(b"HTTP/1.1 504 ") and b"Connection: close" in answer
