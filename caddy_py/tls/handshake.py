"""TLS on a pooled listener: each accepted connection is peeked at, its ClientHello picks a
connection policy and certificate, then `loop.start_tls` runs the handshake and the HTTP
protocol gets the TLS transport.

Peeking (MSG_PEEK on a duplicate of the socket, while the transport is paused) leaves the bytes
for OpenSSL, so policy settings that OpenSSL fixes before the SNI callback (versions, ciphers,
client verification) still follow the policy chosen for that server name. Bytes that are not a
TLS handshake get Go's plain-HTTP answer (400 "Client sent an HTTP request to an HTTPS server.").
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
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


async def peek_client_hello(transport: asyncio.Transport) -> ClientHello | None:
    """The ClientHello at the head of the connection, without consuming it (None on EOF)."""
    loop = asyncio.get_running_loop()
    sock = transport.get_extra_info("socket")
    if sock is None:
        raise NotTLS()
    dup = socket.socket(fileno=os.dup(sock.fileno()))
    try:
        dup.setblocking(False)
        last = -1
        while True:
            try:
                data = dup.recv(MAX_HELLO, socket.MSG_PEEK)
            except BlockingIOError:
                data = None
            if data == b"":
                return None
            if data is not None:
                hello = parse_client_hello(data)
                if hello is not None:
                    return hello
                if len(data) == last:
                    # a partial hello is still readable: give the rest a moment to arrive
                    await asyncio.sleep(0.005)
                    continue
                last = len(data)
                if last:
                    continue
            fut = loop.create_future()
            loop.add_reader(dup.fileno(), lambda: fut.done() or fut.set_result(None))
            try:
                await fut
            finally:
                loop.remove_reader(dup.fileno())
    finally:
        dup.close()


class TLSAcceptor(asyncio.Protocol):
    """The listener-side protocol of one TLS connection until the handshake is done."""

    def __init__(self, server_tls: Any, app_factory: Callable[[], asyncio.Protocol]) -> None:
        self.server_tls = server_tls
        self.app_factory = app_factory
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None
        self.discarded = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        """Only after a non-TLS start: the plain request is read (and dropped) before the
        answer, so closing does not reset the connection."""
        self.discarded.set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.pause_reading()
        self.task = asyncio.get_running_loop().create_task(self._accept(transport))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    async def _accept(self, transport: asyncio.Transport) -> None:
        loop = asyncio.get_running_loop()
        peer = transport.get_extra_info("peername") or ("", 0)
        local = transport.get_extra_info("sockname") or ("", 0)
        try:
            try:
                hello = await asyncio.wait_for(peek_client_hello(transport), HELLO_TIMEOUT)
            except NotTLS:
                transport.resume_reading()
                try:
                    await asyncio.wait_for(self.discarded.wait(), 1.0)
                except asyncio.TimeoutError:
                    pass
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
            buf = _Buffer()
            tls_tr = await loop.start_tls(transport, buf, ctx, server_side=True,
                                          ssl_handshake_timeout=HANDSHAKE_TIMEOUT)
        except asyncio.CancelledError:
            transport.abort()
            raise
        except (OSError, asyncio.TimeoutError, ValueError) as e:
            LOG.debug("http: TLS handshake error from %s:%s: %s", peer[0], peer[1], e)
            transport.abort()
            return
        if tls_tr is None:
            transport.abort()
            return
        if not self.server_tls.after_handshake(policy, tls_tr):
            tls_tr.abort()
            return
        app = self.app_factory()
        tls_tr.set_protocol(app)
        app.connection_made(tls_tr)
        for chunk in buf.data:
            app.data_received(chunk)
        if buf.eof:
            app.eof_received()
        if buf.lost is not False:
            app.connection_lost(buf.lost if isinstance(buf.lost, Exception) else None)
