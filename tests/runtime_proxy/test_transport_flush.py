"""reverse_proxy `flush_interval`, differential: an upstream sends the head and a first part,
then holds the rest until the test releases it. Whether the client sees the first part (and
the head) before the release must be what the real caddy does: -1 flushes every write, 0
buffers a body of known length unless it is text/event-stream, a body of unknown length is
always streamed, and > 0 flushes what is pending that often."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import AsyncIterator

import pytest
from aiohttp import web

from tests.runtime_core.diff import Pair
from tests.runtime_proxy.harness import start_upstream

pytestmark = pytest.mark.timeout(60)

FIRST, REST = b"data: one\n\n", b"data: two\n\n"
QUIET = 0.5  # how long a buffered first part must stay unseen
PERIOD = 0.3  # the periodic route's flush_interval


class Held:
    """The upstream: path /{sse|plain}/{known|unknown}: content type and whether it says
    Content-Length; the second part waits for `release`."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.wrote_first = 0.0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        _, kind, length = request.path.split("/")[:3]
        ctype = "text/event-stream" if kind == "sse" else "text/plain"
        resp = web.StreamResponse(headers={"Content-Type": ctype})
        if length == "known":
            resp.content_length = len(FIRST + REST)
        await resp.prepare(request)
        await resp.write(FIRST)
        self.wrote_first = time.monotonic()
        await self.release.wait()
        await resp.write(REST)
        await resp.write_eof()
        return resp


def config(up: int):
    def route(name: str, option: str) -> str:
        return (f"\thandle_path /{name}/* {{\n\t\treverse_proxy 127.0.0.1:{up} {{\n"
                f"\t\t\t{option}\n\t\t}}\n\t}}\n")

    def make(port: int) -> str:
        return ("{\n\tadmin off\n}\n" f":{port} {{\n\tbind 127.0.0.1\n"
                + route("each", "flush_interval -1")
                + route("default", "flush_interval 0")
                + route("periodic", f"flush_interval {int(PERIOD * 1000)}ms")
                + "}\n")
    return make


@pytest.fixture
async def held() -> AsyncIterator[tuple[Held, int]]:
    h = Held()
    runner, port = await start_upstream(handler=h.handle)
    yield h, port
    h.release.set()
    await runner.cleanup()


async def first_part_before_release(port: int, path: str, up: Held) -> bool:
    """Whether the first part reaches the client while the upstream holds the rest; the
    whole answer must arrive once released. A periodic flush cannot come sooner than its
    period after the upstream's write (a lower bound only: it never fails on a slow box)."""
    up.release.clear()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    try:
        got = b""
        early = False
        try:
            got = await asyncio.wait_for(reader.readuntil(FIRST), QUIET if "default" in path else 5)
            early = True
            if "periodic" in path:
                assert time.monotonic() - up.wrote_first >= PERIOD * 0.9
        except asyncio.TimeoutError:
            pass
        up.release.set()
        got += await asyncio.wait_for(reader.read(-1), 5)
        assert got.startswith(b"HTTP/1.1 200 ") and REST in got, got
        return early
    finally:
        writer.close()


CASES = [
    ("/each/plain/known", True),       # -1: every write
    ("/default/plain/known", False),   # 0, known length: Go's buffer holds it (the head too)
    ("/default/sse/known", True),      # 0, but text/event-stream: every write
    ("/default/plain/unknown", True),  # 0, but unknown length: every write
    ("/periodic/plain/known", True),   # > 0: flushed a period later while the rest is held
]


@pytest.mark.parametrize("path,early", CASES, ids=[c[0] for c in CASES])
async def test_flush_interval_decides_what_the_client_sees_early_as_caddy(
        caddy_bin, caddy_env, tmp_path: Path, held, path, early):
    up, port = held
    async with Pair(caddy_bin, tmp_path, caddy_env, config(port)) as pair:
        assert await first_part_before_release(pair.ports["caddy"], path, up) is early
        assert await first_part_before_release(pair.ports["py"], path, up) is early
