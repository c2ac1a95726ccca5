"""A subscriber's connection leaves no reference cycles behind: with the collector off, its
Session, transport and frame reader are freed by reference counting as soon as it disconnects,
and a collection afterwards finds nothing from it.

Runs on uvloop (what `caddy-py run` uses) through caddy-py's own server, with a subscriber on a
bare non-blocking socket so no client library puts objects of its own into the heap.
"""
from __future__ import annotations

import asyncio
import base64
import gc
import json
import os
import socket
import weakref
from typing import Any, Awaitable, Callable

import uvloop

from caddy_py.config.runtime import Runtime
from caddy_py.modules.websocket_notifier import frames as f
from caddy_py.modules.websocket_notifier.handler import NOTIFIERS
from caddy_py.modules.websocket_notifier.session import Session

from .conftest import TIMEOUT, Backend


def config(upstream: str) -> dict[str, Any]:
    route = {"match": [{"path": ["/ws"]}],
             "handle": [{"handler": "websocket_notifier", "upstream": upstream, "recover_wait": 50_000_000}]}
    return {"admin": {"disabled": True},
            "apps": {"http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "routes": [route]}}}}}


class RawSubscriber:
    """A WebSocket client on a non-blocking socket and the loop's sock_* calls."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    @classmethod
    async def open(cls, port: int) -> "RawSubscriber":
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), TIMEOUT)
        self = cls(sock)
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(sock, (
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = await self.read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        return self

    async def read_until(self, marker: bytes) -> bytes:
        """Everything received up to and including `marker` (the rest stays buffered)."""
        loop = asyncio.get_running_loop()
        while marker not in self.buf:
            data = await asyncio.wait_for(loop.sock_recv(self.sock, 65536), TIMEOUT)
            assert data, f"connection closed before {marker!r}"
            self.buf += data
        end = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:end], self.buf[end:]
        return out

    async def send(self, opcode: int, payload: bytes) -> None:
        assert len(payload) < 126
        mask = os.urandom(4)
        masked = bytearray(payload)
        f._mask_inplace(mask, masked)
        frame = bytes((0x80 | opcode, 0x80 | len(payload))) + mask + bytes(masked)
        await asyncio.get_running_loop().sock_sendall(self.sock, frame)

    async def subscribe(self, backend: Backend, rid: str = "r1") -> None:
        doc = {"operation": "subscribe", "request_id": rid, "credential": "c", "channels": ["a"]}
        await self.send(f.OP_TEXT, json.dumps(doc).encode())
        req = await backend.next("subscribe")
        await backend.send({"operation": "verify", "subscription_id": req["subscription_id"],
                            "request_id": rid, "accept": ["a"]})
        await self.read_until(b'"verify"')

    async def close(self) -> None:
        """The closing handshake: send close, read until the server closes the TCP connection."""
        loop = asyncio.get_running_loop()
        await self.send(f.OP_CLOSE, f.close_payload(1000))
        while await asyncio.wait_for(loop.sock_recv(self.sock, 65536), TIMEOUT):
            pass
        self.sock.close()


async def served(body: Callable[[int, Backend, Runtime], Awaitable[None]]) -> None:
    """Run `body(port, backend, runtime)` against caddy-py serving the notifier route."""
    backend = Backend()
    await backend.start()
    rt = Runtime()
    try:
        await rt.load(config(backend.url))
        await backend.wait_connected()
        assert rt.current is not None
        await body(rt.current.http_ports()["srv0"][0], backend, rt)
    finally:
        await asyncio.wait_for(rt.stop(), 10)
        await backend.stop()


def test_a_subscriber_leaves_no_cycles() -> None:
    async def body(port: int, backend: Backend, _: Runtime) -> None:
        warm = await RawSubscriber.open(port)  # first use fills caches; not what is measured
        await warm.subscribe(backend)
        await warm.close()
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)  # a collection keeps what it finds in gc.garbage
        try:
            sub = await RawSubscriber.open(port)
            await sub.subscribe(backend)
            (session,) = NOTIFIERS.get(backend.url).sessions
            transport_freed = asyncio.Event()
            ref = weakref.ref(session.transport, lambda _: transport_freed.set())
            del session  # Session and FrameReader have no weakref slot: they are looked for below
            await sub.close()
            try:
                await asyncio.wait_for(transport_freed.wait(), TIMEOUT)
            except asyncio.TimeoutError:
                raise AssertionError("the closed subscriber's transport was not freed without the collector: "
                                     "a reference cycle holds it") from None
            assert ref() is None
            alive = [type(o).__name__ for o in gc.get_objects() if type(o) in (Session, f.FrameReader)]
            assert alive == [], f"still allocated after the subscriber left: {alive}"
            found = gc.collect()
            leftovers = sorted({type(o).__qualname__ for o in gc.garbage})
            assert found == 0 and not gc.garbage, f"cyclic garbage after one subscriber: {leftovers}"
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()

    uvloop.run(served(body))
