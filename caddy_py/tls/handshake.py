"""TLS on a pooled listener: each accepted connection's ClientHello is read first, picks a
connection policy and certificate, then the TLS handshake runs (asyncio's SSLProtocol fed with
the bytes already read) and the HTTP protocol gets the TLS transport.

Reading the hello before OpenSSL sees it lets policy settings that OpenSSL fixes before its SNI
callback (versions, ciphers, client verification) follow the policy chosen for that name, and
lets the certificate lookup wait for an issuance in progress. The same code runs on asyncio's
loop and on uvloop (whose own start_tls cannot take bytes already read). Bytes that are not a
TLS handshake get Go's plain-HTTP answer (400 "Client sent an HTTP request to an HTTPS server.").
"""
from __future__ import annotations

import asyncio
import logging
from asyncio import sslproto
from typing import Any, Callable

from caddy_py.tls.clienthello import MAX_HELLO, ClientHello, NotTLS, parse_client_hello

LOG = logging.getLogger("http.stdlib")
HELLO_TIMEOUT = 10.0
HANDSHAKE_TIMEOUT = 10.0
PLAIN_HTTP_ANSWER = (b"HTTP/1.0 400 Bad Request\r\n\r\n"
                     b"Client sent an HTTP request to an HTTPS server.\n")


class _Buffer(asyncio.Protocol):
    """Holds what arrives between the end of the handshake and the HTTP protocol taking over."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self.eof = False
        self.lost: Exception | None | bool = False

    def data_received(self, data: bytes) -> None:
        self.data.append(data)

    def eof_received(self) -> bool:
        self.eof = True
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = exc if exc is not None else True


def _feed(proto: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        buf = proto.get_buffer(len(view))
        n = min(len(buf), len(view))
        buf[:n] = view[:n]
        proto.buffer_updated(n)
        view = view[n:]


class TLSAcceptor(asyncio.Protocol):
    """The listener-side protocol of one TLS connection until the handshake is done."""

    def __init__(self, server_tls: Any, app_factory: Callable[[], asyncio.Protocol]) -> None:
        self.server_tls = server_tls
        self.app_factory = app_factory
        self.transport: Any = None
        self.data = bytearray()
        self.hello: asyncio.Future[ClientHello | None] | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        loop = asyncio.get_running_loop()
        self.hello = loop.create_future()
        self.task = loop.create_task(self._accept())

    def data_received(self, data: bytes) -> None:
        self.data += data
        if self.hello is None or self.hello.done():
            return
        try:
            hello = parse_client_hello(bytes(self.data))
        except NotTLS as e:
            self.hello.set_exception(e)
            return
        if hello is not None:
            self.transport.pause_reading()
            self.hello.set_result(hello)
        elif len(self.data) > MAX_HELLO:
            self.hello.set_exception(NotTLS())

    def eof_received(self) -> bool:
        if self.hello is not None and not self.hello.done():
            self.hello.set_result(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _accept(self) -> None:
        transport = self.transport
        assert self.hello is not None
        peer = transport.get_extra_info("peername") or ("", 0)
        local = transport.get_extra_info("sockname") or ("", 0)
        try:
            try:
                hello = await asyncio.wait_for(self.hello, HELLO_TIMEOUT)
            except NotTLS:
                transport.write(PLAIN_HTTP_ANSWER)
                transport.close()
                return
            if hello is None:
                transport.close()
                return
            chosen = await self.server_tls.context_for(hello, str(peer[0]), str(local[0]))
            if chosen is None:
                transport.abort()
                return
            ctx, policy = chosen
            tls_tr = await self._handshake(transport, ctx)
        except asyncio.CancelledError:
            transport.abort()
            raise
        except (OSError, asyncio.TimeoutError, ValueError) as e:
            LOG.debug("http: TLS handshake error from %s:%s: %s", peer[0], peer[1], e)
            transport.abort()
            return
        if not self.server_tls.after_handshake(policy, tls_tr):
            tls_tr.abort()
            return
        tls_tr.caddy_server_name = hello.server_name  # {http.request.tls.server_name}
        app = self.app_factory()
        placeholder = tls_tr.get_protocol()
        tls_tr.set_protocol(app)
        app.connection_made(tls_tr)
        for chunk in placeholder.data:
            app.data_received(chunk)
        if placeholder.eof:
            app.eof_received()
        if placeholder.lost is not False:
            app.connection_lost(placeholder.lost if isinstance(placeholder.lost, Exception) else None)

    async def _handshake(self, transport: Any, ctx: Any) -> Any:
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        proto = sslproto.SSLProtocol(loop, _Buffer(), ctx, waiter, server_side=True,
                                     call_connection_made=False, ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        transport.set_protocol(proto)
        proto.connection_made(transport)
        data, self.data = bytes(self.data), bytearray()
        _feed(proto, data)
        transport.resume_reading()
        await waiter
        return proto._get_app_transport()  # noqa: SLF001 - what loop.start_tls returns
