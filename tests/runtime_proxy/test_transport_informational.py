"""Informational responses through reverse_proxy, differential: an upstream sends 103 Early
Hints and holds its final answer until the client has seen the hints. caddy passes each 1xx
on as it comes (the upstream's headers plus its Server header, sorted, Go's status text);
caddy-py must write the same bytes."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.runtime_core.diff import Pair

pytestmark = pytest.mark.timeout(60)

HINTS = (b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\nlink: </b.js>; rel=preload\r\n"
         b"x-hint: one\r\n\r\n")
FINAL = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndone"


class Hinting:
    def __init__(self) -> None:
        self.seen = asyncio.Event()  # set by the test once the client has the hints

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(HINTS)
            await self.seen.wait()
            writer.write(FINAL)
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def hinting() -> AsyncIterator[tuple[Hinting, int]]:
    h = Hinting()
    server = await asyncio.start_server(h.serve, "127.0.0.1", 0)
    yield h, server.sockets[0].getsockname()[1]
    h.seen.set()
    server.close()


async def exchange(port: int, up: Hinting) -> tuple[bytes, bytes]:
    """The informational head as received, then the final response (after releasing it)."""
    up.seen.clear()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /page HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    try:
        hints = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        up.seen.set()
        return hints, await asyncio.wait_for(reader.read(-1), 5)
    finally:
        writer.close()


async def test_103_early_hints_are_passed_on_as_they_come(caddy_bin, caddy_env, tmp_path: Path, hinting):
    up, port = hinting

    def config(listen: int) -> str:
        return f"{{\n\tadmin off\n}}\n:{listen} {{\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:{port}\n}}\n"

    async with Pair(caddy_bin, tmp_path, caddy_env, config) as pair:
        want_hints, want_final = await exchange(pair.ports["caddy"], up)
        got_hints, got_final = await exchange(pair.ports["py"], up)
    assert want_hints.startswith(b"HTTP/1.1 103 Early Hints\r\n")
    assert got_hints == want_hints
    assert got_final.startswith(b"HTTP/1.1 200 OK\r\n") and got_final.endswith(b"\r\n\r\ndone")
    assert want_final.startswith(b"HTTP/1.1 200 OK\r\n") and want_final.endswith(b"\r\n\r\ndone")
