"""reverse_proxy `transport http` options, differential: the real caddy and caddy-py proxy to the
same scripted raw upstream (it stalls, holds, sinks bodies, counts connections) and must
behave alike: statuses, what reaches the upstream, and how many connections it sees."""
from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncIterator

import pytest

from tests.runtime_core.diff import Pair

pytestmark = pytest.mark.timeout(60)

SERVERS = ("caddy", "py")
SLOW_GAP = 0.15  # between the parts of a slow client's upload


@dataclass
class Conn:
    requests: list[bytes] = field(default_factory=list)  # request heads
    after_answer: bytes = b""  # bytes received after a `reject` answer
    body_after: asyncio.Event = field(default_factory=asyncio.Event)  # ... all of the body
    closed: asyncio.Event = field(default_factory=asyncio.Event)


class Upstream:
    """A raw HTTP/1.1 upstream. The last path segment picks the behaviour:
    ok (answer at once), stall (never answer), partial (head and part of the body, then stall),
    sink (never read the body), hold (answer once `gate` is set), continue (send 100 Continue,
    read the body, answer its length), reject (417 at once, then read the body: the connection
    stays), refuse (417 and Connection: close at once, then record whatever still comes)."""

    def __init__(self) -> None:
        self.conns: list[Conn] = []
        self.gate = asyncio.Event()
        self.release = asyncio.Event()
        self.arrived = asyncio.Condition()
        self.open = 0
        self.peak = 0
        self.server: asyncio.Server | None = None

    def reset(self) -> None:
        self.conns.clear()
        self.gate.clear()
        self.peak = self.open

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.release.set()
        self.gate.set()
        assert self.server is not None
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Conn()
        self.conns.append(conn)
        self.open += 1
        self.peak = max(self.peak, self.open)
        try:
            while await self._one(conn, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open -= 1
            conn.closed.set()
            writer.close()

    async def _one(self, conn: Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        conn.requests.append(head)
        if conn not in self.conns:  # a pooled connection from before the last reset
            self.conns.append(conn)
        async with self.arrived:
            self.arrived.notify_all()
        what = head.split(b" ", 2)[1].rsplit(b"/", 1)[-1]
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        if what in (b"stall", b"sink"):
            await self.release.wait()
            return False
        if what == b"partial":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\npartial")
            await self.release.wait()
            return False
        if what == b"refuse":
            writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            conn.after_answer = b""
            while chunk := await reader.read(65536):
                conn.after_answer += chunk
            return False
        if what == b"reject":
            writer.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n")
            conn.after_answer = await reader.readexactly(length)
            conn.body_after.set()
            return True
        if what == b"continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if what == b"hold":
            await self.gate.wait()
        body = await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%d" % (len(str(len(body))), len(body)))
        return True

    async def wait_requests(self, n: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: sum(len(c.requests) for c in self.conns) >= n), 10)


def proxied(route: str, port: int, options: str) -> str:
    return f"""	handle /{route}/* {{
		reverse_proxy 127.0.0.1:{port} {{
			transport http {{
				{options}
			}}
		}}
	}}
"""


def config(up: int, backlog: int) -> callable:
    def make(port: int) -> str:
        return ("{\n\tadmin off\n}\n" f":{port} {{\n\tbind 127.0.0.1\n"
                + proxied("rht", up, "response_header_timeout 200ms")
                + proxied("rhtslow", up, f"response_header_timeout {int(SLOW_GAP * 2000)}ms")
                + proxied("rt", up, "read_timeout 200ms")
                + proxied("wt", up, "write_timeout 200ms")
                + proxied("dt", backlog, "dial_timeout 200ms")
                + proxied("mc", up, "max_conns_per_host 1")
                + proxied("idle", up, "keepalive_idle_conns_per_host 1")
                + proxied("idletotal", up, "keepalive_idle_conns 1")
                + proxied("ka", up, "keepalive off")
                + proxied("ect", up, "expect_continue_timeout 300ms")
                + proxied("plain", up, "dial_timeout 3s")
                + "}\n")
    return make


@pytest.fixture
async def upstream() -> AsyncIterator[Upstream]:
    up = Upstream()
    await up.start()
    yield up
    await up.stop()


@pytest.fixture
def stuck_port() -> AsyncIterator[int]:
    """A port whose accept queue is full: connecting to it hangs (SYNs go unanswered)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port))
    yield port
    filler.close()
    listener.close()


@pytest.fixture
async def pair(caddy_bin, caddy_env, tmp_path: Path, upstream: Upstream, stuck_port: int) -> AsyncIterator[Pair]:
    assert upstream.server is not None
    port = upstream.server.sockets[0].getsockname()[1]
    async with Pair(caddy_bin, tmp_path, caddy_env, config(port, stuck_port)) as p:
        yield p


async def request(port: int, path: str, *, body: bytes = b"", headers: bytes = b"",
                  timeout: float = 10.0) -> tuple[int, bytes, str]:
    """One raw request (the body is sent along whatever the server does); the status, the body
    read until the server closes, and how the exchange ended ("eof" or "cut" when the body
    came short of its Content-Length)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    method = b"POST" if body else b"GET"
    writer.write(method + b" " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 + (b"Content-Length: %d\r\n" % len(body) if body else b"") + headers + b"\r\n")

    async def send() -> None:
        try:
            for i in range(0, len(body), 1 << 20):
                writer.write(body[i:i + (1 << 20)])
                await writer.drain()
        except ConnectionError:
            pass

    sender = asyncio.create_task(send())
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        while head.startswith(b"HTTP/1.1 1"):  # 100 Continue from the proxy itself
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        want = -1
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                want = int(line.split(b":")[1])
        got = b""
        try:
            got = await asyncio.wait_for(reader.read(-1), timeout)
        except ConnectionError:
            pass
        return int(head[9:12]), got, "cut" if 0 <= want != len(got) else "eof"
    finally:
        sender.cancel()
        writer.close()


async def both(pair: Pair, up: Upstream, path: str, **kw) -> dict[str, tuple[int, bytes, str]]:
    out = {}
    for name in SERVERS:
        up.reset()
        out[name] = await request(pair.ports[name], path, **kw)
    return out


async def test_response_header_timeout_is_504_within_the_bound(pair, upstream):
    for name in SERVERS:
        t0 = time.monotonic()
        status, _, _ = await request(pair.ports[name], "/rht/stall")
        assert status == 504, name
        assert time.monotonic() - t0 < 5, name  # 200ms configured: far below the default none
    assert (await both(pair, upstream, "/plain/ok"))["py"][0] == 200


async def test_response_header_timeout_starts_once_the_request_is_written(pair, upstream):
    """A slow upload (4 parts, SLOW_GAP apart: longer than the 2 * SLOW_GAP timeout) is
    not a slow upstream: Go's timer starts when the whole request is written."""
    for name in SERVERS:
        reader, writer = await asyncio.open_connection("127.0.0.1", pair.ports[name])
        writer.write(b"POST /rhtslow/ok HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\n")
        for part in b"slow":
            writer.write(bytes([part]))
            await writer.drain()
            await asyncio.sleep(SLOW_GAP)  # the client's pace is the scenario, not a wait
        got = await asyncio.wait_for(reader.read(-1), 10)
        writer.close()
        assert got.startswith(b"HTTP/1.1 200 ") and got.endswith(b"\r\n\r\n4"), (name, got[:60])


async def test_read_timeout_before_the_head_and_in_the_body(pair, upstream):
    head = await both(pair, upstream, "/rt/stall")
    assert head["py"][0] == head["caddy"][0] == 504
    body = await both(pair, upstream, "/rt/partial")
    assert body["py"] == body["caddy"] == (200, b"partial", "cut")


async def test_write_timeout_cuts_an_upload_the_upstream_does_not_read(pair, upstream):
    big = b"x" * (48 << 20)  # far more than the socket buffers between proxy and upstream
    got = await both(pair, upstream, "/wt/sink", body=big)
    assert got["py"][0] == got["caddy"][0] == 504


async def test_dial_timeout_gives_up_on_an_upstream_that_never_accepts(pair, upstream):
    statuses = {}
    for name in SERVERS:
        t0 = time.monotonic()
        statuses[name] = (await request(pair.ports[name], "/dt/ok"))[0]
        assert time.monotonic() - t0 < 2.5, name  # 200ms configured, not the 3s default
    assert statuses["py"] == statuses["caddy"], statuses


async def test_max_conns_per_host_queues_requests_on_one_connection(pair, upstream):
    for name in SERVERS:
        upstream.reset()
        upstream.peak = upstream.open
        base = upstream.open
        tasks = [asyncio.create_task(request(pair.ports[name], "/mc/hold")) for _ in range(3)]
        await upstream.wait_requests(1)
        # a second request could only arrive on a second connection: give it the chance
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(upstream.wait_requests(2), 0.5)
        upstream.gate.set()
        assert [t[0] for t in await asyncio.gather(*tasks)] == [200, 200, 200], name
        assert upstream.peak - base == 1, name
        assert len(upstream.conns) == 1, name


@pytest.mark.parametrize("route", ["idle", "idletotal"])
async def test_idle_connections_beyond_the_cap_are_closed(pair, upstream, route):
    """keepalive_idle_conns_per_host (per upstream) and keepalive_idle_conns (all upstreams)."""
    for name in SERVERS:
        upstream.reset()
        tasks = [asyncio.create_task(request(pair.ports[name], f"/{route}/hold")) for _ in range(3)]
        await upstream.wait_requests(3)
        conns = list(upstream.conns)
        assert len(conns) == 3, name
        upstream.gate.set()
        assert [t[0] for t in await asyncio.gather(*tasks)] == [200, 200, 200], name
        # one connection stays idle in the pool; the proxy closes the other two
        await asyncio.wait_for(_closed(conns, 2), 5)


async def _closed(conns: list[Conn], n: int) -> None:
    while sum(c.closed.is_set() for c in conns) < n:
        await asyncio.wait([asyncio.create_task(c.closed.wait()) for c in conns if not c.closed.is_set()],
                           return_when=asyncio.FIRST_COMPLETED)


async def test_keepalive_off_closes_each_connection_and_says_so(pair, upstream):
    for name in SERVERS:
        upstream.reset()
        for _ in range(2):
            assert (await request(pair.ports[name], "/ka/ok"))[0] == 200
        assert len(upstream.conns) == 2, name
        await asyncio.wait_for(_closed(upstream.conns, 2), 5)
        assert all(b"\r\nConnection: close\r\n" in c.requests[0] for c in upstream.conns), name


async def test_expect_continue_timeout_holds_the_body_for_the_100(pair, upstream):
    expect = b"Expect: 100-continue\r\n"
    got = await both(pair, upstream, "/ect/continue", body=b"hello", headers=expect)
    assert got["py"][:2] == got["caddy"][:2] == (200, b"5")
    # an upstream that waits for the body without a 100: it comes after the configured wait,
    # or at once without one (aiohttp alone would hold it until a 100 that never comes)
    for route in ("ect", "plain"):
        got = await both(pair, upstream, f"/{route}/ok", body=b"hello", headers=expect)
        assert got["py"][:2] == got["caddy"][:2] == (200, b"5"), route
    for name in SERVERS:
        # a final answer instead of the 100: the body follows when the connection stays open
        # (with the wait configured; without it the body went out at once) ...
        for route in ("ect", "plain"):
            upstream.reset()
            assert (await request(pair.ports[name], f"/{route}/reject", body=b"hello", headers=expect))[0] == 417
            await asyncio.wait_for(upstream.conns[-1].body_after.wait(), 5)
        # ... and is dropped when the upstream closes it
        upstream.reset()
        assert (await request(pair.ports[name], "/ect/refuse", body=b"hello", headers=expect))[0] == 417
        await asyncio.wait_for(upstream.conns[-1].closed.wait(), 5)
        assert upstream.conns[-1].after_answer == b"", name


def test_timeouts_are_504_worded_as_go_names_them():
    import aiohttp

    from caddy_py.modules.reverse_proxy.errors import WriteTimeout, classify

    addr = "127.0.0.1:9"
    assert str(classify(WriteTimeout(), connecting=False, address=addr)) == f"write tcp {addr}: i/o timeout"
    assert str(classify(aiohttp.SocketTimeoutError(), connecting=False, address=addr)) == f"read tcp {addr}: i/o timeout"
    assert str(classify(TimeoutError(), connecting=False, address=addr)) == "net/http: timeout awaiting response headers"
    assert {classify(e, connecting=False, address=addr).status
            for e in (WriteTimeout(), aiohttp.SocketTimeoutError(), TimeoutError())} == {504}
    dial = classify(aiohttp.ConnectionTimeoutError(), connecting=True, address=addr)
    assert (str(dial), dial.status) == (f"dial tcp {addr}: i/o timeout", 502)
