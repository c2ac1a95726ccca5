"""Response body helpers for the proxy: Go-style Content-Type sniffing of the first bytes,
response buffering (`response_buffers`) and copying the body to the client with Caddy's
flush policy (`flush_interval`)."""
from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any, AsyncIterator

from aiohttp import web
from multidict import CIMultiDict

from .sniff import detect_content_type

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request


async def sniff_type(body: AsyncIterator[bytes], hdrs: CIMultiDict[str],
                      req: "Request") -> AsyncIterator[bytes]:
    """Go's server sniffs a Content-Type from the first bytes when none is set."""
    first = b""
    async for chunk in body:
        first = chunk
        if chunk:
            break
    if first:
        hdrs["Content-Type"] = detect_content_type(first)
    else:
        req.on_prepare.append(_drop_content_type)

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in body:
            yield chunk
    return rest()


def _drop_content_type(resp: web.StreamResponse) -> None:
    resp.headers.popall("Content-Type", None)


async def buffer_body(body: AsyncIterator[bytes], limit: int) -> tuple[AsyncIterator[bytes], bool, int]:
    buf = bytearray()
    complete = True
    async for chunk in body:
        buf += chunk
        if 0 < limit <= len(buf):
            complete = False
            break
    head = bytes(buf)
    if complete:
        async def whole() -> AsyncIterator[bytes]:
            if head:
                yield head
        return whole(), True, len(head)

    async def rest() -> AsyncIterator[bytes]:
        yield head
        async for chunk in body:
            yield chunk
    return rest(), False, 0


# what Go's server holds back before writing to the connection (its bufio.Writer's size)
GO_WRITE_BUFFER = 4096


def flush_interval(configured: float, hdrs: CIMultiDict[str]) -> float:
    """Caddy's flushInterval: a server-sent event stream and a body of unknown length are
    flushed on every write (-1); otherwise the configured value (0: buffered, as Go's writer
    buffers; > 0: flushed that often; < 0: every write)."""
    if "Content-Length" not in hdrs:
        return -1.0
    if hdrs.get("Content-Type", "").split(";", 1)[0].strip().lower() == "text/event-stream":
        return -1.0
    return configured


async def copy_body(resp: web.StreamResponse, body: AsyncIterator[bytes], interval: float) -> None:
    """Write `body` to the prepared `resp` as Caddy's copyResponse does for `interval`: each
    chunk at once (< 0), in Go-buffer-sized pieces (0), or those plus whatever is pending
    `interval` seconds after it was written, the head included (> 0). When the body fails,
    what was buffered still goes out first (Go's server flushes before it closes)."""
    if interval < 0:
        async for chunk in body:
            await resp.write(chunk)
        return
    pending: list[bytes] = []
    try:
        if interval == 0:
            size = 0
            async for chunk in body:
                pending.append(chunk)
                size += len(chunk)
                if size >= GO_WRITE_BUFFER:
                    await _flush(resp, pending)
                    size = 0
        else:
            await _copy_with_latency(resp, body, interval, pending)
    except asyncio.CancelledError:
        raise
    except BaseException:
        with contextlib.suppress(Exception):
            await _flush(resp, pending)
        raise
    await _flush(resp, pending)


async def _copy_with_latency(resp: web.StreamResponse, body: AsyncIterator[bytes], interval: float,
                             pending: list[bytes]) -> None:
    """Go's maxLatencyWriter: a flush at most `interval` after a write that left data
    pending, and one `interval` after the start so the head goes out even while the body is
    slow. What is still pending at the end stays in `pending`."""
    loop = asyncio.get_running_loop()
    it = body.__aiter__()
    flush_at: float | None = loop.time() + interval
    size = 0
    nxt: asyncio.Future[Any] = asyncio.ensure_future(it.__anext__())
    try:
        while True:
            wait = None if flush_at is None else max(0.0, flush_at - loop.time())
            done, _ = await asyncio.wait({nxt}, timeout=wait)
            if not done:
                await _flush(resp, pending)
                size = 0
                flush_at = None
                continue
            try:
                chunk = nxt.result()
            except StopAsyncIteration:
                return
            pending.append(chunk)
            size += len(chunk)
            if size >= GO_WRITE_BUFFER:
                await _flush(resp, pending)
                size = 0
            if flush_at is None:
                flush_at = loop.time() + interval
            nxt = asyncio.ensure_future(it.__anext__())
    finally:
        if not nxt.done():
            nxt.cancel()


async def _flush(resp: web.StreamResponse, pending: list[bytes]) -> None:
    """Write what is pending, or else the head alone if it has not gone out yet."""
    if pending:
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        await resp.write(data)
        return
    writer = resp._payload_writer
    if writer is not None and hasattr(writer, "send_headers"):
        writer.send_headers()
