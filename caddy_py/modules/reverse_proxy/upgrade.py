"""Protocol upgrades (WebSocket and any other `Upgrade:`) over HTTP/1.1.

The upstream side is a raw asyncio connection: we write the request head ourselves and read the
response head, so after a 101 both sockets carry opaque bytes. The client side is taken over
from aiohttp after the 101 is written (the protocol's payload parser becomes our forwarder),
so frames and close codes pass through untouched in both directions. When either side ends,
both are closed (as Caddy does); `stream_timeout` bounds the stream's life.
"""
from __future__ import annotations

import asyncio
import logging
import os
import ssl
import struct
from typing import Any

from aiohttp import web
from multidict import CIMultiDict

log = logging.getLogger("http.handlers.reverse_proxy")

_HEAD_LIMIT = 1 << 16


class RawResponse:
    """A response head read from a raw upstream connection, plus the live streams."""

    def __init__(self, status: int, reason: str, version: str, headers: CIMultiDict[str],
                 reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.status, self.reason, self.version, self.headers = status, reason, version, headers
        self.reader, self.writer = reader, writer

    async def body_chunks(self) -> Any:
        """The body of a non-101 answer: Content-Length, chunked, or until EOF."""
        te = self.headers.get("Transfer-Encoding", "").lower()
        length = self.headers.get("Content-Length")
        if "chunked" in te:
            while True:
                line = await self.reader.readuntil(b"\r\n")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    return
                yield await self.reader.readexactly(size)
                await self.reader.readexactly(2)
        elif length is not None:
            left = int(length)
            while left > 0:
                chunk = await self.reader.read(min(left, 65536))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk
        elif self.status not in (204, 304) and self.status >= 200:
            while chunk := await self.reader.read(65536):
                yield chunk

    def close(self) -> None:
        self.writer.close()


async def open_raw(host: str, port: int, unix_path: str, tls: ssl.SSLContext | None,
                   server_name: str, dial_timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with asyncio.timeout(dial_timeout or None):
        if unix_path:
            return await asyncio.open_unix_connection(unix_path, limit=_HEAD_LIMIT)
        return await asyncio.open_connection(
            host, port, ssl=tls, server_hostname=(server_name or host) if tls else None,
            limit=_HEAD_LIMIT)


async def roundtrip_raw(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, method: str,
                        target: str, headers: CIMultiDict[str]) -> RawResponse:
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    hdrs: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        if ":" in line:
            k, _, v = line.partition(":")
            hdrs.add(k.strip(), v.strip())
    return RawResponse(int(code), reason, version.removeprefix("HTTP/"), hdrs, reader, writer)


class _ToUpstream:
    """Stands in for aiohttp's payload parser on the hijacked client connection."""

    def __init__(self, writer: asyncio.StreamWriter, client_transport: asyncio.Transport,
                 done: asyncio.Event) -> None:
        self.writer, self.client_transport, self.done = writer, client_transport, done
        self._paused = False

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if not self.writer.is_closing():
            self.writer.write(data)
            if not self._paused and self.writer.transport.get_write_buffer_size() > 1 << 20:
                self._paused = True
                self.client_transport.pause_reading()
                asyncio.get_running_loop().create_task(self._resume())
        return False, b""

    async def _resume(self) -> None:
        try:
            await self.writer.drain()
        except (ConnectionError, RuntimeError):
            pass
        self._paused = False
        if not self.client_transport.is_closing():
            self.client_transport.resume_reading()

    def feed_eof(self) -> None:
        self.done.set()


def close_frame(going_away_masked: bool) -> bytes:
    """A WebSocket Close frame with 1001 (going away); masked when we act as the client."""
    payload = struct.pack("!H", 1001)
    if not going_away_masked:
        return bytes([0x88, len(payload)]) + payload
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x88, 0x80 | len(payload)]) + key + masked


class Stream:
    """One upgraded connection pair, registered on the handler for cleanup."""

    def __init__(self, raw_req: web.BaseRequest, upstream: RawResponse, websocket: bool) -> None:
        self.raw_req, self.upstream, self.websocket = raw_req, upstream, websocket
        self.done = asyncio.Event()

    def close(self, graceful: bool = True) -> None:
        client = self.raw_req.transport
        if graceful and self.websocket:
            if client is not None and not client.is_closing():
                client.write(close_frame(False))
            if not self.upstream.writer.is_closing():
                self.upstream.writer.write(close_frame(True))
        self.done.set()

    async def pipe(self, resp: web.StreamResponse, timeout: float) -> None:
        client = self.raw_req.transport
        proto = self.raw_req.protocol
        if client is None or proto is None:
            self.upstream.close()
            return
        proto.set_parser(_ToUpstream(self.upstream.writer, client, self.done))  # type: ignore[arg-type]
        down = asyncio.ensure_future(self._downstream(client, proto))
        try:
            async with asyncio.timeout(timeout or None):
                await self.done.wait()
        except TimeoutError:
            log.debug("stream timed out")
        finally:
            down.cancel()
            self.upstream.close()
            client.close()

    async def _downstream(self, client: asyncio.Transport, proto: Any) -> None:
        try:
            reader = self.upstream.reader
            while data := await reader.read(65536):
                client.write(data)
                drain = getattr(proto, "_drain_helper", None)
                if drain is not None and client.get_write_buffer_size() > 1 << 20:
                    await drain()
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            log.debug("streaming error", extra={"error": str(e)})
        finally:
            self.done.set()
