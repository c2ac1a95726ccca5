"""The fan-out load generator: N subscriber WebSockets on bare asyncio Protocols (no caddy-py code).

Driven by run.py over stdin/stdout, one JSON command per line:
  {"cmd": "connect", "port": P, "path": "/ws", "n": N, "src": "127.0.0.2", "concurrency": C}
  {"cmd": "expect", "n": TOTAL, "latency": bool, "timeout": S, "quiet": Q}  -> "armed", then the
      result once TOTAL frames arrived, S seconds passed, or nothing arrived for Q seconds
  {"cmd": "stats"}, {"cmd": "quit"}
Frames are counted with a lean parser over whole reads (never decoded, shorty ones neither);
only paced events are opened, to read the backend's send time and compute the latency.
"""
from __future__ import annotations

import asyncio
import base64
import json
import os
import resource
import socket
import sys
import time

SUBSCRIBE = json.dumps({"operation": "subscribe", "request_id": "1", "channels": ["bench"]}).encode()
# client frames must be masked; a zero key leaves the payload as is
SUBSCRIBE_FRAME = bytes([0x81, 0x80 | len(SUBSCRIBE)]) + b"\0\0\0\0" + SUBSCRIBE
CLOSE_FRAME = bytes([0x88, 0x82]) + b"\0\0\0\0" + (1000).to_bytes(2, "big")
STAMP = b'"t":'
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux; the constant is missing before 3.12


class App:
    def __init__(self) -> None:
        self.subs: list[Sub] = []
        self.upgraded = 0
        self.ready = 0
        self.failed = 0
        self.count = 0
        self.target = 0
        self.first_ns = 0
        self.last_ns = 0
        self.latency = False
        self.lat: list[int] = []
        self.pings = 0
        self.closes: dict[int, int] = {}
        self.done: asyncio.Event = asyncio.Event()
        self.all_ready: asyncio.Event = asyncio.Event()
        self.ready_target = 0

    def on_ready(self) -> None:
        self.ready += 1
        if self.ready + self.failed >= self.ready_target:
            self.all_ready.set()

    def on_fail(self) -> None:
        self.failed += 1
        if self.ready + self.failed >= self.ready_target:
            self.all_ready.set()


class Sub(asyncio.Protocol):
    __slots__ = ("app", "transport", "buf", "skip", "upgraded", "ready", "request", "dead")

    def __init__(self, app: App, request: bytes) -> None:
        self.app = app
        self.transport: asyncio.Transport | None = None
        self.buf = b""
        self.skip = 0
        self.upgraded = False
        self.ready = False
        self.request = request
        self.dead = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self.ready and not self.dead:
            self.dead = True
            self.app.on_fail()
        self.dead = True

    def _handshake(self, data: bytes) -> bytes | None:
        self.buf += data
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buf) > 16384:
                self.transport.abort()  # type: ignore[union-attr]
            return None
        head, data, self.buf = self.buf[:end], self.buf[end + 4:], b""
        if not head.startswith(b"HTTP/1.1 101"):
            self.transport.abort()  # type: ignore[union-attr]
            return None
        self.upgraded = True
        self.app.upgraded += 1
        self.transport.write(SUBSCRIBE_FRAME)  # type: ignore[union-attr]
        return data

    def data_received(self, data: bytes) -> None:  # noqa: C901 - one tight loop on purpose
        if not self.upgraded:
            rest = self._handshake(data)
            if not rest:
                return
            data = rest
        if self.buf:
            data = self.buf + data
            self.buf = b""
        n = len(data)
        i = self.skip
        if i >= n:
            self.skip = i - n
            return
        self.skip = 0
        app = self.app
        lat = app.latency
        now = time.time_ns()
        count = 0
        while i < n:
            if i + 2 > n:
                self.buf = data[i:]
                break
            b0 = data[i]
            ln = data[i + 1] & 127
            h = 2
            if ln == 126:
                if i + 4 > n:
                    self.buf = data[i:]
                    break
                ln = (data[i + 2] << 8) | data[i + 3]
                h = 4
            elif ln == 127:
                if i + 10 > n:
                    self.buf = data[i:]
                    break
                ln = int.from_bytes(data[i + 2:i + 10], "big")
                h = 10
            op = b0 & 15
            end = i + h + ln
            if (op == 1 or op == 2) and self.ready and (op == 2 or ln > 6):
                if lat:
                    if end > n:
                        self.buf = data[i:]
                        break
                    j = data.find(STAMP, i + h, end)
                    if j >= 0:
                        app.lat.append(now - int(data[j + 4:j + 23]))
                count += 1
            elif op == 1 or op == 2:
                if op == 2 or ln > 6:  # the first data frame after `shorty` is our verify
                    self.ready = True
                    app.on_ready()
            elif op >= 8:
                if end > n:
                    self.buf = data[i:]
                    break
                if op == 9:  # answer pings, as a browser would
                    payload = data[i + h:end]
                    app.pings += 1
                    self.transport.write(bytes([0x8A, 0x80 | len(payload)]) + b"\0\0\0\0" + payload)  # type: ignore[union-attr]
                elif op == 8:
                    code = int.from_bytes(data[i + h:i + h + 2], "big") if ln >= 2 else 1005
                    app.closes[code] = app.closes.get(code, 0) + 1
                    self.transport.close()  # type: ignore[union-attr]
                    return
            i = end
        if i > n:
            self.skip = i - n
        if count:
            if not app.first_ns:
                app.first_ns = now
            app.last_ns = now
            app.count += count
            if app.count >= app.target:
                app.done.set()


def handshake(port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()


async def connect(app: App, cmd: dict) -> dict:
    loop = asyncio.get_running_loop()
    n, port, path = int(cmd["n"]), int(cmd["port"]), cmd["path"]
    src = cmd.get("src", "127.0.0.1")
    sem = asyncio.Semaphore(int(cmd.get("concurrency", 256)))
    app.ready_target = app.ready + app.failed + n
    app.all_ready.clear()
    t0 = time.perf_counter()

    async def one() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            # the port is picked at connect(), not by a bind() that scans every port bound so far:
            # with 15k sockets on one source address that scan made the client the set-up bottleneck
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            sock.bind((src, 0))
            sock.setblocking(False)
            await loop.sock_connect(sock, ("127.0.0.1", port))
            sub = Sub(app, handshake(port, path))
            await loop.create_connection(lambda: sub, sock=sock)
            app.subs.append(sub)
        except OSError:
            sock.close()
            app.on_fail()
        finally:
            sem.release()

    tasks = []
    for _ in range(n):
        await sem.acquire()
        tasks.append(loop.create_task(one()))
    await asyncio.gather(*tasks)
    try:
        await asyncio.wait_for(app.all_ready.wait(), float(cmd.get("timeout", 180)))
    except asyncio.TimeoutError:
        pass
    secs = time.perf_counter() - t0
    return {"ready": app.ready, "upgraded": app.upgraded, "failed": app.failed, "secs": secs}


async def expect(app: App, cmd: dict, out) -> dict:
    app.count, app.first_ns, app.last_ns = 0, 0, 0
    app.target = int(cmd["n"])
    app.latency = bool(cmd.get("latency"))
    app.lat = []
    app.done.clear()
    out({"armed": True})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + float(cmd.get("timeout", 60))
    quiet_ns = int(float(cmd.get("quiet", 0)) * 1e9)  # give up early once deliveries stop (closed subscribers)
    for _ in range(100_000):  # bounded; each turn waits at most 0.25 s
        left = deadline - loop.time()
        if app.done.is_set() or left <= 0:
            break
        try:
            await asyncio.wait_for(app.done.wait(), min(left, 0.25))
        except asyncio.TimeoutError:
            pass
        if quiet_ns and app.last_ns and time.time_ns() - app.last_ns > quiet_ns:
            break
    app.latency = False
    res = {"count": app.count, "first_ns": app.first_ns, "last_ns": app.last_ns}
    if app.lat:
        lat = sorted(app.lat)
        k = len(lat)
        res["latency_ms"] = {"samples": k, "p50": lat[k // 2] / 1e6, "p99": lat[min(k - 1, k * 99 // 100)] / 1e6,
                             "max": lat[-1] / 1e6, "min": lat[0] / 1e6}
    return res


async def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    app = App()

    def out(obj: dict) -> None:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    while True:
        line = await reader.readline()
        if not line:
            return
        cmd = json.loads(line)
        c = cmd["cmd"]
        if c == "connect":
            out(await connect(app, cmd))
        elif c == "expect":
            out(await expect(app, cmd, out))
        elif c == "stats":
            open_ = sum(1 for s in app.subs if s.transport is not None and not s.transport.is_closing())
            out({"open": open_, "ready": app.ready, "failed": app.failed, "pings": app.pings,
                 "closes": {str(k): v for k, v in app.closes.items()}})
        elif c == "quit":
            for s in app.subs:
                if s.transport is not None and not s.transport.is_closing():
                    s.transport.write(CLOSE_FRAME)
                    s.transport.close()
            out({"bye": True})
            return


if __name__ == "__main__":
    import uvloop

    uvloop.run(main())
