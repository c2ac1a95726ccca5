"""Shorty fan-out over real sockets: every shorty subscriber, inflating with its own `Shorty`
(reset on the text frame `shorty`), reads exactly what a plain twin doing the same reads."""
from __future__ import annotations

import asyncio
import json
import random
import socket
import string
from typing import Any, Callable

import aiohttp
import pytest

from caddy_py.modules.websocket_notifier import shorty_shared
from caddy_py.modules.websocket_notifier.shorty import Shorty

from .conftest import TIMEOUT


class Reader:
    """Reads one client's frames in a task: documents (inflated if binary) and control words."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.inflater = Shorty()
        self.kinds: list[str] = []  # "shorty", "ping", "pong", "text", "bin"
        self.docs: list[dict] = []
        self.close_code: int | None = None
        self.error: BaseException | None = None
        self.changed = asyncio.Event()
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        try:
            while True:
                msg = await self.client.ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    if msg.data in ("shorty", "ping", "pong"):
                        self.kinds.append(msg.data)
                        if msg.data == "shorty":
                            self.inflater.reset()
                        continue
                    self.kinds.append("text")
                    self.docs.append(json.loads(msg.data))
                elif msg.type == aiohttp.WSMsgType.BINARY:
                    self.kinds.append("bin")
                    self.docs.append(json.loads(self.inflater.inflate(msg.data)))
                else:
                    self.close_code = msg.data if msg.type == aiohttp.WSMsgType.CLOSE else self.client.ws.close_code
                    return
                self.changed.set()
        except BaseException as e:  # noqa: BLE001 - a garbled document fails the test below
            self.error = e
            raise
        finally:
            self.changed.set()

    async def until(self, cond: Callable[["Reader"], bool]) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + TIMEOUT
        while not cond(self):
            if self.error is not None:
                raise AssertionError(f"reader failed: {self.error!r}")
            if self.task.done():
                raise AssertionError(f"connection ended ({self.close_code}) before the condition")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), max(0.01, end - loop.time()))
            except asyncio.TimeoutError:
                raise AssertionError("condition not reached") from None

    def has_marker(self, mark: int) -> bool:
        return any(d.get("payload") == {"marker": mark} for d in self.docs)

    def events(self) -> list[dict]:
        return [d for d in self.docs if d.get("operation") == "event"]

    def replies(self) -> list[str]:
        return sorted(json.dumps({k: v for k, v in d.items() if k != "resume_token"}, sort_keys=True)
                      for d in self.docs if d.get("operation") != "event")


def server_session(srv: Any, client: Any) -> Any:
    port = client.ws._response.connection.transport.get_extra_info("sockname")[1]
    return next(s for s in srv.notifier.sessions if s.peer.endswith(f":{port}"))


async def join(srv: Any, connect: Any, channels: list[str], rid: str) -> tuple[Reader, Reader]:
    """A shorty subscriber and its plain twin on the same channels, both verified."""
    pair = (Reader(await connect(srv.url("shorty=1"))), Reader(await connect(srv.url())))
    for r in pair:
        await r.client.send({"operation": "subscribe", "request_id": rid, "channels": channels})
    for r in pair:
        await r.until(lambda r: any(d.get("request_id") == rid for d in r.docs))
    return pair


def payload(rnd: random.Random, i: int) -> dict:
    text = "".join(rnd.choice(string.ascii_letters + string.digits + " ,.:{}\"") for _ in range(rnd.randrange(300)))
    return {"i": i, "t": text, "n": rnd.randrange(10 ** rnd.randrange(1, 12))}


@pytest.mark.parametrize("budget", [shorty_shared.BUDGET, 1])
@pytest.mark.parametrize("reset_count", [0, 2])
async def test_shorty_subscribers_read_what_plain_twins_read(serve, backend, connect, monkeypatch, budget,
                                                             reset_count) -> None:
    # budget 1: one deflate per loop turn, every other document waits its turn, in order
    monkeypatch.setattr(shorty_shared, "BUDGET", budget)
    refused: list[int] = []  # deflates put off to a later loop turn
    spend = shorty_shared._spend
    monkeypatch.setattr(shorty_shared, "_spend", lambda n: spend(n) or refused.append(n) or False)
    backend.auto_verify = True
    srv = await serve(shorty_reset_count=reset_count)
    sets = {"s1": ["a"], "s2": ["a"], "s3": ["a", "b"], "s4": ["b", "c"], "s5": ["a", "b", "c"]}
    pairs = {name: await join(srv, connect, chans, name) for name, chans in sets.items()}
    asked = dict.fromkeys([*sets, "late"], 1)  # subscribe requests per subscriber
    rnd = random.Random(5)
    i = 0
    for rnd_no in range(4):
        if rnd_no == 2:  # a subscriber joining mid-stream
            pairs["late"] = await join(srv, connect, ["b"], "late")
        for _ in range(12):
            i += 1
            await backend.publish(rnd.choice([["a"], ["b"], ["c"], ["a", "b"], ["b", "c"], ["a", "b", "c"]]),
                                  payload(rnd, i))
            if rnd.random() < 0.4:  # a reply of its own for one subscriber, between events
                name = rnd.choice(["s3", "s4", "s5"] + (["late"] if "late" in pairs else []))
                asked[name] += 1
                for r in pairs[name]:
                    await r.client.send({"operation": "subscribe", "request_id": f"z{i}", "channels": [f"z{i}"]})
            if rnd.random() < 0.2:
                await pairs["s3"][0].client.send("ping")
        await backend.publish(["a", "b", "c"], {"marker": rnd_no})
        for pair in pairs.values():
            for r in pair:
                await r.until(lambda r: r.has_marker(rnd_no))
    for name, (sh, plain) in pairs.items():
        for r in (sh, plain):
            await r.until(lambda r: len(r.replies()) == asked[name])
        assert sh.kinds[0] == "shorty" and "text" not in sh.kinds and "bin" not in plain.kinds
        assert sh.events() == plain.events(), name
        assert sh.replies() == plain.replies(), name
        assert len(sh.events()) > 4
    assert bool(refused) == (budget == 1)
    # s1 and s2 had the same events since their first one: one shared state, and no reset beyond
    # the first frame and the one that took them off their private (verify) trees
    s1, s2 = (server_session(srv, pairs[n][0].client) for n in ("s1", "s2"))
    assert s1.shorty_out is s2.shorty_out and s1.shorty_out.shared
    if reset_count == 0:
        assert pairs["s1"][0].kinds.count("shorty") == 2
    else:
        assert pairs["s1"][0].kinds.count("shorty") == 2 + (len(pairs["s1"][0].events()) - 1) // (reset_count + 1)
    live = [s.shorty_out for s in srv.notifier.sessions if s.shorty_out is not None]
    # every state in use can still deflate: a tree, or (private, fresh tree) its one document
    assert all(n.tree is not None or (not n.shared and n.key) for n in live if n is not shorty_shared.ROOT)
    assert len({id(n) for n in live}) < len(live)


async def test_frame_sequence_a_shorty_subscriber_sees(serve, backend, connect) -> None:
    backend.auto_verify = True
    srv = await serve()
    r = Reader(await connect(srv.url("shorty=1")))
    await r.client.send({"operation": "subscribe", "request_id": "q", "channels": ["a"]})
    await r.until(lambda r: len(r.docs) == 1)
    for n in (1, 2):
        await backend.publish(["a"], n)
    await r.until(lambda r: len(r.docs) == 3)
    await r.client.send({"operation": "subscribe", "request_id": "q2", "channels": ["b"]})
    await r.until(lambda r: len(r.docs) == 4)
    await backend.publish(["a"], 3)
    await r.until(lambda r: len(r.docs) == 5)
    # `shorty` first (§2.4); the verify is deflated on the session's own tree; the first event
    # resets onto the shared tree; a later reply of its own makes the next event reset again
    assert r.kinds == ["shorty", "bin", "shorty", "bin", "bin", "bin", "shorty", "bin"]
    assert [d.get("payload", d["operation"]) for d in r.docs] == ["verify", 1, 2, "verify", 3]


async def test_slow_shorty_consumer_is_closed_others_and_resume_stay_right(serve, backend, connect) -> None:
    backend.auto_verify = True
    srv = await serve(chan_size=2, max_event_buffer_size=100000, keep_alive=60_000_000_000)
    slow = Reader(await connect(srv.url("shorty=1")))
    await slow.client.send({"operation": "subscribe", "request_id": "slow", "channels": ["a"]})
    await slow.until(lambda r: len(r.docs) == 1)
    token = slow.docs[0]["resume_token"]
    fast, twin = await join(srv, connect, ["a"], "fast")
    # stop reading on the client side: the kernel buffers (the server's made small) fill, then the
    # server backs up
    client_transport = slow.client.ws._response.connection.transport
    server_socket = server_session(srv, slow.client).transport.get_extra_info("socket")
    server_socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client_transport.pause_reading()
    rnd = random.Random(3)
    n = 0
    while not srv.notifier.hub.counters.throttled:
        n += 1
        # random letters: deflate cannot shrink them much, so the buffers fill quickly
        await backend.publish(["a"], {"n": n, "pad": "".join(rnd.choice(string.ascii_letters) for _ in range(30000))})
        await twin.until(lambda r: len(r.events()) >= n)
    client_transport.resume_reading()
    await slow.until(lambda r: r.close_code is not None)
    assert slow.close_code == 1013
    await fast.until(lambda r: len(r.events()) >= n)
    assert fast.events() == twin.events() and [e["seq"] for e in fast.events()] == list(range(1, n + 1))
    # the slow subscriber resumes on a fresh shorty connection: the replay decodes too
    again = Reader(await connect(srv.url("shorty=1")))
    await again.client.send({"operation": "resume", "resume_token": token, "seq": 0})
    await again.until(lambda r: len(r.docs) == n + 1)
    assert again.docs[0]["operation"] == "resume_success" and again.docs[0]["recovered"] is True
    assert again.docs[1:] == twin.events()
    await backend.publish(["a"], "after")
    for r in (again, fast, twin):
        await r.until(lambda r: r.docs[-1].get("payload") == "after")
    assert again.docs[-1] == fast.docs[-1] == twin.docs[-1]


async def test_subscribers_in_many_states_are_merged_onto_the_fresh_tree(serve, backend, connect,
                                                                         monkeypatch) -> None:
    monkeypatch.setattr(shorty_shared, "MAX_STATES_PER_EVENT", 100)
    backend.auto_verify = True
    srv = await serve()
    plain = Reader(await connect(srv.url()))
    await plain.client.send({"operation": "subscribe", "request_id": "p", "channels": ["a"]})
    readers: list[Reader] = []
    for k in range(8):  # each joins, then gets its first event alone: eight different states
        r = Reader(await connect(srv.url("shorty=1")))
        await r.client.send({"operation": "subscribe", "request_id": f"j{k}", "channels": ["a"]})
        await r.until(lambda r: len(r.docs) == 1)
        readers.append(r)
        await backend.publish(["a"], {"k": k})
        for x in readers:
            await x.until(lambda x: x.docs[-1].get("payload") == {"k": k})
    states = {id(server_session(srv, r.client).shorty_out) for r in readers}
    assert len(states) == 8
    monkeypatch.setattr(shorty_shared, "MAX_STATES_PER_EVENT", 3)
    deflated: list[bytes] = []
    real = Shorty.deflate
    monkeypatch.setattr(Shorty, "deflate", lambda self, data: deflated.append(data) or real(self, data))
    counts = []
    for last in range(5):
        deflated.clear()
        await backend.publish(["a"], f"m{last}")
        for r in [plain, *readers]:
            await r.until(lambda r: r.docs[-1].get("payload") == f"m{last}")
        counts.append(len(deflated))
        states = {id(server_session(srv, r.client).shorty_out) for r in readers}
    # 3 states deflate the first event; then only the 3 largest may go on, the others are reset
    # onto the fresh tree and share one deflate there: at most 2 x 3 + 1 deflates per event, then
    # at most 3 + 1 once the merged subscribers are the largest state
    assert counts[0] <= 7 and max(counts[1:]) <= 4 and len(states) <= 4, counts
    for k, r in enumerate(readers):
        assert r.events() == plain.events()[k:]
    assert any(r.kinds.count("shorty") > 2 for r in readers)


async def test_documents_waiting_for_budget_go_out_before_the_close_frame(serve, backend, connect,
                                                                          monkeypatch) -> None:
    monkeypatch.setattr(shorty_shared, "BUDGET", 1)  # one budgeted deflate per loop turn
    backend.auto_verify = True
    srv = await serve()
    r = Reader(await connect(srv.url("shorty=1")))
    await r.client.send({"operation": "subscribe", "request_id": "q", "channels": ["a"]})
    await r.until(lambda r: len(r.docs) == 1)
    session = server_session(srv, r.client)
    n = srv.notifier
    # all in one loop turn: e1 resets onto the fresh tree (never put off), e2 takes the turn's
    # budget, e3 and e4 wait for the next turn; then the session is closed in the same turn
    for i in range(1, 5):
        n.backend_message(json.dumps({"operation": "event", "channels": ["a"], "payload": i}).encode())
    assert list(shorty_shared.waiting().get(session, ())) and len(shorty_shared.waiting()[session]) == 2
    session.close(4000, "moved")
    n.backend_message(b'{"operation":"event","channels":["a"],"payload":5}')  # after the close: not sent
    await r.until(lambda r: r.close_code is not None)
    assert r.close_code == 4000
    assert [d.get("payload") for d in r.docs] == [None, 1, 2, 3, 4]
    assert r.kinds == ["shorty", "bin", "shorty", "bin", "bin", "bin", "bin"]
    assert session not in shorty_shared.waiting()
