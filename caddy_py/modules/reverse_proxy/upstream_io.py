"""The parts of Go's http.Transport that aiohttp's client lacks, as small aiohttp extensions:
an idle-connection cap (MaxIdleConnsPerHost / MaxIdleConns), Expect: 100-continue with a
bounded wait (ExpectContinueTimeout), informational (1xx) responses handed to the proxy,
per-write deadlines (Caddy's write_timeout) and a request head that leaves before the body
is read."""
from __future__ import annotations

import asyncio
from contextvars import ContextVar
from typing import Any, Callable

import aiohttp
from aiohttp.payload import AsyncIterablePayload

from .errors import WriteTimeout


def idle_limited(base: type[aiohttp.BaseConnector], per_host: int, total: int = 0) -> type[aiohttp.BaseConnector]:
    """`base` keeping at most `per_host` idle connections per upstream (and `total` over all,
    when > 0): a connection coming back to a full idle pool is closed, as Go's transport does."""

    class IdleLimited(base):  # type: ignore[valid-type,misc]
        def _release(self, key: Any, protocol: Any, *, should_close: bool = False) -> None:
            conns = self._conns
            if not should_close:
                idle = conns.get(key)
                if idle is not None and len(idle) >= per_host:
                    should_close = True
                elif total > 0 and sum(len(c) for c in conns.values()) >= total:
                    should_close = True
            super()._release(key, protocol, should_close=should_close)

    return IdleLimited


def response_class(header_timeout: float, expect_continue: bool = False) -> type[aiohttp.ClientResponse]:
    """The response class for a session: one for `Expect: 100-continue` requests (their own
    session on the shared pool, so that every other request skips that bookkeeping), and a
    response header timeout when > 0."""
    if expect_continue:
        return type("TimedContinueResponse", (ContinueResponse,), {"header_timeout": max(header_timeout, 0.0)})
    if header_timeout > 0:
        return type("TimedResponse", (TimedResponse,), {"header_timeout": header_timeout})
    return UpstreamClientResponse


def continue_request_class(wait: float) -> type[aiohttp.ClientRequest]:
    """A request class doing Expect: 100-continue as Go's transport: with `wait` 0 the body
    goes out at once; otherwise after a 100 Continue or `wait` seconds, whichever is first
    (aiohttp alone would wait for the 100 forever). See ContinueResponse for a final answer
    that comes first."""

    class ContinueRequest(aiohttp.ClientRequest):
        async def send(self, conn: Any) -> Any:
            waiter = self._continue
            if waiter is not None:
                if wait <= 0:
                    waiter.set_result(True)
                else:
                    self.loop.call_later(wait, lambda: waiter.done() or waiter.set_result(True))
            return await super().send(conn)

    return ContinueRequest


# Where the round trip running in this task hands informational responses (102-199 but 101):
# a callable taking (status, reason, headers); unset, they are dropped as aiohttp does.
INFORMATIONAL: ContextVar[Callable[[int, str, Any], None] | None] = ContextVar(
    "caddy_proxy_informational", default=None)


class _InformationalTap:
    """The connection's protocol as the response reads it, passing 1xx heads to `sink`."""

    def __init__(self, protocol: Any, sink: Callable[[int, str, Any], None]) -> None:
        self._protocol, self._sink = protocol, sink

    async def read(self) -> Any:
        while True:
            message, payload = await self._protocol.read()
            code = message.code
            if code < 102 or code > 199:  # 100 Continue is aiohttp's (and Go's transport's) own
                return message, payload
            self._sink(code, message.reason, message.headers)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._protocol, name)


class UpstreamClientResponse(aiohttp.ClientResponse):
    """aiohttp's response, handing informational responses to INFORMATIONAL."""

    _upstream_protocol: Any = None

    @property  # type: ignore[override]
    def _protocol(self) -> Any:
        protocol = self._upstream_protocol
        sink = INFORMATIONAL.get()
        if sink is None or protocol is None:
            return protocol
        return _InformationalTap(protocol, sink)

    @_protocol.setter
    def _protocol(self, protocol: Any) -> None:
        self._upstream_protocol = protocol


class TimedResponse(UpstreamClientResponse):
    """The head must come within header_timeout of the request being fully written (the body
    included), not counting the dial or a wait for a free connection: Go's
    ResponseHeaderTimeout."""

    header_timeout = 0.0

    async def start(self, connection: Any) -> "TimedResponse":
        loop = asyncio.get_running_loop()
        writer = self._writer
        async with asyncio.timeout(None) as deadline:
            def arm(_: Any = None) -> None:
                deadline.reschedule(loop.time() + self.header_timeout)

            if writer is None or writer.done():
                arm()
            else:
                writer.add_done_callback(arm)
            try:
                await super().start(connection)
            finally:
                if writer is not None:
                    writer.remove_done_callback(arm)
        return self


class ContinueResponse(TimedResponse):
    """The response to an `Expect: 100-continue` request. A final answer that arrives while
    the body is held back: Go then sends the body anyway when the connection stays open (so
    it can be reused), and drops it (closing the connection) when the upstream says
    `Connection: close` (both checked against caddy 2.11.7)."""

    _starting = False
    _cleanup_deferred = False
    _sending_held_body = False

    async def start(self, connection: Any) -> "ContinueResponse":
        self._starting = True
        try:
            if self.header_timeout > 0:
                await super().start(connection)
            else:
                await UpstreamClientResponse.start(self, connection)
        finally:
            self._starting = False
        waiter = self._continue
        if waiter is not None and not waiter.done():
            self._continue = None
            if "close" in self.headers.get("Connection", "").lower():
                waiter.cancel()  # aiohttp's body writer stops there and closes the connection
            else:
                waiter.set_result(True)
                self._sending_held_body = True
        if self._cleanup_deferred:
            self._cleanup_writer()
        return self

    def _cleanup_writer(self) -> None:
        # aiohttp cancels the body writer once the response ends (a bodiless one inside
        # start(), before its headers are known); a held body being sent must go out first
        # (the connection is released after the writer is done)
        if self._starting:
            self._cleanup_deferred = True
        elif not (self._sending_held_body and self._writer is not None and not self._writer.done()):
            super()._cleanup_writer()


class _DeadlineWriter:
    """A stream writer whose every write must finish within `timeout` seconds."""

    def __init__(self, writer: Any, timeout: float) -> None:
        self._writer, self._timeout = writer, timeout

    async def write(self, chunk: bytes) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._writer.write(chunk)
        except TimeoutError:
            raise WriteTimeout() from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


class RequestBody(AsyncIterablePayload):
    """A request body for the upstream. The request head is sent before the first body read
    (Go's transport does so: a client body that fails at once still leaves the head upstream);
    `write_timeout` bounds each write, like the deadline Caddy sets per write."""

    def __init__(self, chunks: Any, write_timeout: float = 0.0) -> None:
        super().__init__(chunks)
        self.write_timeout = write_timeout

    async def write_with_length(self, writer: Any, content_length: int | None) -> None:
        send = getattr(writer, "send_headers", None)
        if send is not None:
            send()
        if self.write_timeout > 0:
            writer = _DeadlineWriter(writer, self.write_timeout)
        await super().write_with_length(writer, content_length)


async def once(data: bytes) -> Any:
    yield data
