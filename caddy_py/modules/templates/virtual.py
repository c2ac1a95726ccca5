"""Virtual requests for the templates `httpInclude` function: a GET through the same server
without a connection, its response collected in memory (Caddy's virtualResponseWriter).

As Caddy builds it: the including request's headers (and Host), `Accept-Encoding: identity`,
the include depth in `Caddy-Templates-Include`, and 127.0.0.1:10000 as the remote address.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import HttpVersion11
from aiohttp.http_parser import RawRequestMessage
from aiohttp.streams import EMPTY_PAYLOAD
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from caddy_py.http.aio import CaddyBaseRequest

REMOTE = ("127.0.0.1", 10000)
LOG = logging.getLogger("http.handlers.templates")


class _NoConnection:
    """The protocol object aiohttp's request reads its peer from; there is no transport."""

    ssl_context = None
    peername = REMOTE
    sockname = None
    transport = None
    caddy_remote = f"{REMOTE[0]}:{REMOTE[1]}"

    def __getattr__(self, name: str) -> Any:
        return None  # per-connection marks the server keeps on its protocol: none here


class _MemoryWriter:
    """aiohttp payload writer that keeps the status and body instead of sending them."""

    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()
        self.length: int | None = None
        self.buffer_size = 0
        self.output_size = 0
        self.on_body_write = None

    def enable_chunking(self) -> None:
        pass

    def enable_compression(self, *_a: Any, **_k: Any) -> None:
        pass

    async def write_headers(self, status_line: str, headers: Any) -> None:
        self.status = int(status_line.split(" ", 2)[1])

    def send_headers(self) -> None:
        pass

    async def write(self, chunk: Any, *, drain: bool = True, LIMIT: int = 0x10000) -> None:
        self.body += bytes(chunk)
        self.output_size += len(chunk)

    async def write_eof(self, chunk: bytes = b"") -> None:
        self.body += bytes(chunk)
        self.output_size += len(chunk)

    async def drain(self) -> None:
        pass

    def set_eof(self) -> None:
        pass


async def virtual_get(server: Any, uri: str, host: str, headers: CIMultiDict[str]) -> tuple[int, bytes]:
    """Serve `GET uri` through `server` (a caddy_py.http.server.Server); (status, body)."""
    hdrs = CIMultiDict(headers)
    hdrs.popall("Host", None)
    if host:
        hdrs["Host"] = host
    msg = RawRequestMessage("GET", uri, HttpVersion11, CIMultiDictProxy(hdrs), (), False, None, False, False,
                            URL(uri, encoded=True))
    writer = _MemoryWriter()
    task = asyncio.current_task()
    raw = CaddyBaseRequest(msg, EMPTY_PAYLOAD, _NoConnection(), writer, task,  # type: ignore[arg-type]
                           asyncio.get_running_loop())
    try:
        resp = await server.handle(raw)
        await resp.prepare(raw)
        await resp.write_eof()
    except Exception as e:  # noqa: BLE001 - Go's server answers 500 whatever a handler did
        LOG.error("virtual request failed: %s", e)
        return 500, b""
    return writer.status or resp.status, bytes(writer.body)
