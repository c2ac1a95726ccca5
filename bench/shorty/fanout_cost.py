"""Server CPU per delivery of one fan-out, in process: plain text, shorty with shared tree states
(the working tree's Notifier._fanout), and shorty with one private tree per subscriber (what
every delivery cost before trees were shared: one deflate each).

N subscribers on one channel each get a `verify` with a random token (its own tree), then a
warm-up event (which moves them onto the shared trees), then EVENTS timed events of ~200 B.
Sessions are real `Session` objects on a stand-in notifier with no sockets: this measures
the Python work of `_fanout` only (the flush and its writes are the same for both kinds).
Process CPU time, best of ROUNDS.
"""
from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from caddy_py.modules.websocket_notifier import shorty_shared
from caddy_py.modules.websocket_notifier.notifier import Notifier
from caddy_py.modules.websocket_notifier.session import Session, SessionSettings
from caddy_py.modules.websocket_notifier.shorty import Shorty

EVENTS = 40
ROUNDS = 3


class _Counters:
    outbound_bytes = 0
    outbound_compressed_bytes = 0


class _Hub:
    counters = _Counters()


class _Notifier:
    """What Session and Notifier._fanout touch on a notifier."""

    def __init__(self) -> None:
        self.now = 0.0
        self.hub = _Hub()
        self.dirty: list[Session] = []
        self.loop = asyncio.get_running_loop()

    def schedule_flush(self) -> None:
        pass


def _events(rnd: random.Random, n: int) -> list[bytes]:
    pad = "".join(rnd.choice("abcdefghij ") for _ in range(90))
    return [b'{"operation":"event","channels":["bench"],"payload":{"t":%d,"pad":"%s"},"seq":%d}\n'
            % (1_700_000_000_000_000_000 + rnd.randrange(10**9), pad.encode(), i) for i in range(n)]


def _verify(rnd: random.Random) -> bytes:
    return b'{"operation":"verify","request_id":"r","accept":["bench"],"resume_token":"%s"}\n' % (
        rnd.randbytes(32).hex().encode())


async def _fanout(n: int, shorty: bool, rnd: random.Random) -> float:
    """µs of CPU per delivery of the working tree's _fanout."""
    nt: Any = _Notifier()
    sessions = [Session(nt, SessionSettings(), shorty) for _ in range(n)]
    for s in sessions:
        s.plain = not shorty
        if shorty:
            s.send_doc(_verify(rnd))
    events = _events(rnd, EVENTS * ROUNDS + 1)
    while shorty_shared.waiting():  # verifies past the per-turn deflate budget go out in later turns
        await asyncio.sleep(0)
    Notifier._fanout(nt, events[0], sessions)
    while shorty_shared.waiting():
        await asyncio.sleep(0)
    best = float("inf")
    for r in range(ROUNDS):
        for s in sessions:
            s.out.clear()
        nt.dirty.clear()
        t0 = time.process_time()
        for data in events[1 + r * EVENTS:1 + (r + 1) * EVENTS]:
            Notifier._fanout(nt, data, sessions)
        best = min(best, time.process_time() - t0)
    return best / (n * EVENTS) * 1e6


def _private(n: int, rnd: random.Random) -> float:
    """µs of CPU per delivery when every subscriber deflates with its own tree."""
    trees = [Shorty() for _ in range(min(n, 200))]  # the cost does not depend on n: sample 200
    warm = _events(rnd, 30)
    for t in trees:  # as warm as a long-lived subscriber's tree
        for data in [_verify(rnd)] + warm:
            t.deflate(data)
    events = _events(rnd, 4)
    t0 = time.process_time()
    for data in events:
        for t in trees:
            t.deflate(data)
    return (time.process_time() - t0) / (len(trees) * len(events)) * 1e6


def copy_cost(rnd: random.Random) -> float:
    """µs of CPU to copy a warm tree (done once per event and distinct shared state)."""
    t = Shorty()
    for data in [_verify(rnd)] + _events(rnd, 200):
        t.deflate(data)
    t0 = time.process_time()
    for _ in range(2000):
        t.copy()
    return (time.process_time() - t0) / 2000 * 1e6


def measure(sizes: tuple[int, ...] = (1000, 5000)) -> dict:
    rnd = random.Random(11)
    out: dict = {"events": EVENTS, "rounds": ROUNDS, "us_per_delivery": {}}
    for n in sizes:
        plain = asyncio.run(_fanout(n, False, rnd))
        shared = asyncio.run(_fanout(n, True, rnd))
        private = _private(n, rnd)
        out["us_per_delivery"][str(n)] = {"plain": round(plain, 3), "shorty_shared": round(shared, 3),
                                          "shorty_private": round(private, 2),
                                          "shared_vs_plain": round(shared / plain, 2)}
    out["tree_copy_us"] = round(copy_cost(rnd), 2)
    return out


if __name__ == "__main__":
    import json
    import sys

    sys.stdout.write(json.dumps(measure(), indent=1) + "\n")
