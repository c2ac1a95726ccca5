"""Idle read/write deadlines for one request (Caddy's caddyhttp.IdleDeadline and its reader/writer).

Go sets a socket deadline before every body read and every write chunk. Under aiohttp the body
arrives in a StreamReader fed by the protocol, and writes go to the transport's buffer, so:

- reads: the request's body stream is wrapped; every read that has to wait for the client is
  bounded by the next deadline. A read that runs past it fails with `TimeoutError("i/o
  timeout")` (Go's net error; reverse_proxy turns it into its error status) and the connection
  closes after the response, as Go's server does once a read deadline has passed.
- writes: the response's StreamWriter `drain` (where a write waits for a client that does not
  read) is bounded. Progress is what leaves the transport's buffer; a stall of `timeout` without
  `max_write_chunk` bytes sent (Go's per-chunk deadline reset) aborts the connection.

Deadlines are on the event loop's clock.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

LOG = logging.getLogger("http.handlers.timeouts")

DEFAULT_MAX_WRITE_CHUNK = 64 * 1024


class IdleDeadline:
    """With no minimum rate: now + timeout at every call (a stall is cut, a slow steady
    transfer is not). With one: start + timeout + transferred/min_rate (a trickle below the
    rate falls behind the clock and is cut, Apache mod_reqtimeout's MinRate)."""

    __slots__ = ("start", "timeout", "min_rate", "transferred")

    def __init__(self, start: float, timeout: float, min_rate: int) -> None:
        self.start = start
        self.timeout = timeout
        self.min_rate = min_rate
        self.transferred = 0

    def next(self, now: float) -> float:
        if self.min_rate > 0:
            return self.start + self.timeout + self.transferred / self.min_rate
        return now + self.timeout


class IdleTimeoutBody:
    """The request body stream with every waiting read bounded by the idle deadline; everything
    else is the wrapped aiohttp StreamReader's."""

    def __init__(self, inner: Any, deadline: IdleDeadline) -> None:
        self._inner = inner
        self._deadline = deadline
        self.timed_out = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def _bounded(self, read: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        inner = self._inner
        if inner._size or inner._eof or inner._exception is not None:
            data = await read(*args)  # buffered already: no wait on the client
        else:
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout_at(self._deadline.next(loop.time())):
                    data = await read(*args)
            except TimeoutError:
                self.timed_out = True
                LOG.debug("request body read timed out")
                raise TimeoutError("i/o timeout") from None
        if isinstance(data, (bytes, bytearray)):
            self._deadline.transferred += len(data)
        elif isinstance(data, tuple):  # readchunk: (data, end_of_http_chunk)
            self._deadline.transferred += len(data[0])
        return data

    async def read(self, n: int = -1) -> bytes:
        if n != -1:
            return await self._bounded(self._inner.read, n)
        blocks = []
        while True:
            block = await self.readany()
            if not block:
                return b"".join(blocks)
            blocks.append(block)

    async def readany(self) -> bytes:
        return await self._bounded(self._inner.readany)

    async def readchunk(self) -> tuple[bytes, bool]:
        return await self._bounded(self._inner.readchunk)

    async def readexactly(self, n: int) -> bytes:
        return await self._bounded(self._inner.readexactly, n)

    async def readline(self, *, max_line_length: int | None = None) -> bytes:
        return await self._bounded(self._inner.readuntil, b"\n", max_line_length)

    async def readuntil(self, separator: bytes = b"\n", *, max_size: int | None = None) -> bytes:
        return await self._bounded(self._inner.readuntil, separator, max_size)

    async def iter_any(self) -> Any:
        while block := await self.readany():
            yield block

    async def iter_chunked(self, n: int) -> Any:
        while block := await self.read(n):
            yield block

    async def iter_chunks(self) -> Any:
        while True:
            chunk = await self.readchunk()
            if chunk == (b"", False):
                return
            yield chunk

    def __aiter__(self) -> Any:
        return self._lines()

    async def _lines(self) -> Any:
        while line := await self.readline():
            yield line


def bound_writes(writer: Any, deadline: IdleDeadline, max_chunk: int) -> None:
    """Bound the waits of `writer` (aiohttp's StreamWriter of this response) for the client."""
    unbounded = writer.drain
    chunk = max_chunk if max_chunk > 0 else DEFAULT_MAX_WRITE_CHUNK
    step = max(deadline.timeout / 4, 0.001)  # how often a stalled drain looks at progress

    def sent() -> int:
        transport = writer._protocol.transport
        pending = transport.get_write_buffer_size() if transport is not None else 0
        return writer.output_size - pending

    async def drain() -> None:
        protocol = writer._protocol
        if protocol.transport is None or not protocol._paused:
            return
        loop = asyncio.get_running_loop()
        mark = sent()  # bytes out when the current deadline was set
        deadline.transferred = mark
        due = deadline.next(loop.time())
        waiter = asyncio.ensure_future(unbounded())
        try:
            while True:
                now = loop.time()
                done, _ = await asyncio.wait((waiter,), timeout=max(min(step, due - now), 0))
                if done:
                    waiter.result()
                    return
                out = sent()
                if out - mark >= chunk:  # a whole chunk went out: Go sets the next deadline
                    mark = deadline.transferred = out
                    due = deadline.next(loop.time())
                elif loop.time() >= due:
                    break
        finally:
            if not waiter.done():
                waiter.cancel()
        LOG.debug("response write timed out")
        transport = protocol.transport
        if transport is not None:
            transport.abort()
        raise ConnectionResetError("i/o timeout")

    writer.drain = drain
