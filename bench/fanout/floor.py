"""The machine's floor for paced fan-out: what no notifier on one event loop can beat here.

A bare server (raw non-blocking sockets, no WebSocket, no JSON, no caddy-py code) holds N
loopback TCP connections from a bare reader process and sends every connection one
204-byte frame per event, events paced at 20/s, each frame stamped with the time the event was
due (`time.time_ns()`); when the server falls behind, all due events go out together in one send
per connection, as the notifier coalesces. The reader (one epoll loop) computes receive - stamp for
every frame. That is the notifier's paced scenario with everything but the kernel's TCP work
removed, so its p99 is a lower bound for bench/fanout's paced p99 at the same N.

  .venv/bin/python bench/fanout/floor.py                   # 1k, 5k, 15k; one, then two sender threads
  .venv/bin/python bench/fanout/floor.py --threads 1       # one sender thread only
  --sizes 5000 --events 60 --json results.json             # choose; write the results as JSON

Prints one JSON line per size: latency p50/p99/max, the server's and the reader's CPU per
delivery, and the wall time of one event's sends.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import selectors
import socket
import struct
import sys
import threading
import time

RATE = 20
FRAME_BYTES = 204  # a 200-byte text document in a 4-byte WebSocket frame header
STAMP = struct.Struct("!Q")


def percentile(sorted_values: list[int], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] / 1e6


def reader(port: int, n: int, expected: int, out: socket.socket) -> None:
    """Child process: connect n sockets, read every frame, report latencies through `out`."""
    sel = selectors.EpollSelector()
    socks = []
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, bytearray())
        socks.append(s)
    out.sendall(b"R")  # connected
    lat: list[int] = []
    cpu0 = time.process_time()
    while len(lat) < expected:
        ready = sel.select(timeout=10)
        if not ready:
            break  # the server stopped sending: report what arrived
        for key, _ in ready:
            try:
                data = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            now = time.time_ns()
            buf = key.data
            buf += data
            while len(buf) >= FRAME_BYTES:
                lat.append(now - STAMP.unpack_from(buf, 4)[0])
                del buf[:FRAME_BYTES]
    cpu = time.process_time() - cpu0
    lat.sort()
    result = {"p50_ms": percentile(lat, 0.50), "p99_ms": percentile(lat, 0.99), "max_ms": lat[-1] / 1e6,
              "reader_cpu_us_per_delivery": round(cpu / len(lat) * 1e6, 2)}
    out.sendall(json.dumps(result).encode())
    out.close()


def send_all(socks: list[socket.socket], data: bytes) -> None:
    for s in socks:
        s.sendall(data)  # blocking: a coalesced batch may not fit the socket buffer at once


def run(n: int, events: int, threads: int) -> dict:
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4096)
    port = ls.getsockname()[1]
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ls.close()
        parent.close()
        try:
            reader(port, n, n * events, child)
        finally:
            os._exit(0)
    child.close()
    conns = [ls.accept()[0] for _ in range(n)]
    for c in conns:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    assert parent.recv(1) == b"R"
    shards = [conns[i::threads] for i in range(threads)]
    body = b"\x81\x7e\x00\xc8" + bytes(8) + b"x" * (FRAME_BYTES - 12)
    spans = []
    cpu0 = time.process_time()
    start, start_ns = time.monotonic(), time.time_ns()
    sent = 0
    while sent < events:
        due = start + sent / RATE
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)  # pacing the events, not waiting for a result
        # every event due by now goes out in this pass, each stamped with the time it was due (when
        # the backend would have sent it): a server that falls behind coalesces, as the notifier
        # does, and its lateness counts in the latency
        now = time.monotonic()
        batch = [e for e in range(sent, events) if start + e / RATE <= now] or [sent]
        payload = b"".join(body[:4] + STAMP.pack(start_ns + e * 1_000_000_000 // RATE) + body[12:] for e in batch)
        sent += len(batch)
        t0 = time.monotonic()
        if threads == 1:
            send_all(conns, payload)
        else:
            workers = [threading.Thread(target=send_all, args=(shard, payload)) for shard in shards[1:]]
            for w in workers:
                w.start()
            send_all(shards[0], payload)
            for w in workers:
                w.join()
        spans.append(time.monotonic() - t0)
    cpu = time.process_time() - cpu0
    result = json.loads(parent.recv(1 << 16).decode())
    os.waitpid(pid, 0)
    for c in conns:
        c.close()
    ls.close()
    spans.sort()
    return {"subscribers": n, "threads": threads, "events": events, "rate_per_s": RATE,
            **result, "server_cpu_us_per_delivery": round(cpu / (n * events) * 1e6, 2),
            "event_send_ms_median": round(spans[len(spans) // 2] * 1e3, 1)}


def main() -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,5000,15000")
    ap.add_argument("--threads", default="1,2", help="sender thread counts to run (the sends split over them)")
    ap.add_argument("--events", type=int, default=60)
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = []
    for n in (int(s) for s in args.sizes.split(",") if s):
        for threads in (int(t) for t in args.threads.split(",") if t):
            r = run(n, args.events, threads)
            results.append(r)
            sys.stdout.write(json.dumps(r) + "\n")
            sys.stdout.flush()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    return results


if __name__ == "__main__":
    main()
