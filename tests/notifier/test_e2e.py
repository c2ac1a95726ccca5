"""End to end over real sockets: subscribers ↔ notifier ↔ scripted backend."""
from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from .conftest import TIMEOUT


async def subscribe(client, backend, channels, rid="r1", cred="c") -> str:
    await client.send({"operation": "subscribe", "request_id": rid, "credential": cred, "channels": channels})
    req = await backend.next("subscribe")
    await backend.send({"operation": "verify", "subscription_id": req["subscription_id"], "request_id": rid,
                        "accept": channels})
    doc = await client.recv_doc()
    assert doc["operation"] == "verify" and doc["accept"] == channels
    return doc["resume_token"]


async def test_subscribe_verify_event_unsubscribe(serve, backend, connect) -> None:
    srv = await serve(metadata={"route": "static"})
    c = await connect(srv.url())
    await c.send({"operation": "subscribe", "request_id": "r1", "credential": "cred", "channels": ["a", "b"]})
    req = await backend.next("subscribe")
    assert req["channels"] == ["a", "b"] and req["credential"] == "cred" and req["metadata"] == {"route": "static"}
    assert len(req["subscription_id"]) == 44
    await backend.send({"operation": "verify", "subscription_id": req["subscription_id"], "request_id": "r1",
                        "accept": ["a"], "reject": ["b"]})
    doc = await c.recv_doc()
    assert doc == {"operation": "verify", "request_id": "r1", "accept": ["a"], "reject": ["b"],
                   "resume_token": req["subscription_id"]}
    await backend.send('{"operation":"event","channels":["a"],"payload": {"v": 2.50, "s": "<x>"}}')
    msg = await c.recv()
    assert msg.data == '{"operation":"event","channels":["a"],"payload":{"v":2.50,"s":"\\u003cx\\u003e"},"seq":1}\n'
    await c.send({"operation": "unsubscribe", "channels": ["a"]})
    assert await backend.next("unsubscribe") == {"operation": "unsubscribe", "channels": ["a"]}


async def test_resume_with_replay_and_elsewhere(serve, backend, connect) -> None:
    srv = await serve(max_event_buffer_size=10, keep_alive=60_000_000_000)
    c1 = await connect(srv.url())
    token = await subscribe(c1, backend, ["a"])
    await backend.publish(["a"], 1)
    assert (await c1.recv_doc())["seq"] == 1
    await backend.publish(["a"], 2)
    assert (await c1.recv_doc())["seq"] == 2
    # resume elsewhere while c1 is alive: c1 gets 4000, c2 gets the event it missed
    c2 = await connect(srv.url())
    await c2.send({"operation": "resume", "resume_token": token, "seq": 1})
    assert await c2.recv_doc() == {"operation": "resume_success", "channels": ["a"], "recovered": True}
    assert (await c2.recv_doc())["seq"] == 2
    assert await c1.close_code() == 4000
    await backend.publish(["a"], 3)
    assert (await c2.recv_doc())["seq"] == 3
    # disconnect, miss an event, resume on a fresh connection
    await c2.ws.close()
    await wait_until(lambda: srv.notifier.hub.subs[token].conn is None)
    await backend.publish(["a"], 4)
    c3 = await connect(srv.url())
    await c3.send({"operation": "resume", "resume_token": token, "seq": 3})
    assert (await c3.recv_doc())["recovered"] is True
    assert (await c3.recv_doc())["payload"] == 4


async def wait_until(cond, timeout: float = TIMEOUT) -> None:
    """Await a condition that a socket event will make true (polling the loop, not a timer)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0)  # yield so the I/O callbacks run


async def test_backend_restart_resume_first_then_pending(serve, backend, connect) -> None:
    srv = await serve(keep_alive=60_000_000_000)
    c = await connect(srv.url())
    await subscribe(c, backend, ["a"])
    port = backend.port
    await backend.stop()
    await wait_until(lambda: not srv.notifier.hub.upstream_connected)
    # subscribe while the backend is down: pending, sent once after resume
    await c.send({"operation": "subscribe", "request_id": "r2", "channels": ["b"]})
    await wait_until(lambda: len(srv.notifier.hub.pending) == 1)
    await backend.start(port)
    first = await backend.next()
    second = await backend.next()
    assert first == {"operation": "resume", "channels": ["a"]}
    assert second["operation"] == "subscribe" and second["request_id"] == "r2"


async def test_bad_json_1007_and_oversize_1009(serve, backend, connect) -> None:
    srv = await serve(max_message_size=1000)
    c = await connect(srv.url())
    await c.send("{not json")
    assert await c.close_code() == 1007
    c2 = await connect(srv.url())
    await c2.send(json.dumps({"operation": "x", "pad": "y" * 2000}))
    assert await c2.close_code() == 1009


async def test_text_ping_pong_and_unknown_ops(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    await c.send("ping")
    msg = await c.recv()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.TEXT, "pong")
    await c.send({"operation": "nope"})
    await c.send("ping")
    assert (await c.recv()).data == "pong"


async def test_shorty_both_ways(serve, backend, connect) -> None:
    from caddy_py.modules.websocket_notifier.shorty import Shorty

    srv = await serve()
    c = await connect(srv.url("shorty=on"))
    msg = await c.recv()
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.TEXT, "shorty")
    out, inn = Shorty(), Shorty()
    await c.ws.send_str("shorty")
    req = b'{"operation":"subscribe","request_id":"z","channels":["a"]}'
    await c.ws.send_bytes(out.deflate(req))
    sub = await backend.next("subscribe")
    await backend.send({"operation": "verify", "subscription_id": sub["subscription_id"], "request_id": "z",
                        "accept": ["a"]})
    msg = await c.recv()
    assert msg.type == aiohttp.WSMsgType.BINARY
    assert json.loads(inn.inflate(msg.data))["operation"] == "verify"
    for i in range(3):
        await backend.publish(["a"], i)
        msg = await c.recv()
        if msg.type == aiohttp.WSMsgType.TEXT:  # the server may reset its tree at any time (§2.4)
            assert msg.data == "shorty"
            inn.reset()
            msg = await c.recv()
        assert json.loads(inn.inflate(msg.data))["payload"] == i
    await c.send("ping")
    assert (await c.recv()).data == "pong"


async def test_slow_consumer_gets_1013_then_recovered_resume(serve, backend, connect) -> None:
    srv = await serve(chan_size=2, max_event_buffer_size=100000, keep_alive=60_000_000_000)
    c = await connect(srv.url())
    token = await subscribe(c, backend, ["a"])
    fast = await connect(srv.url())
    await subscribe(fast, backend, ["a"], rid="fast")
    fast_seqs: list[int] = []

    async def read_fast() -> None:
        while True:
            fast_seqs.append((await fast.recv_doc())["seq"])

    reader = asyncio.create_task(read_fast())
    # stop reading on the client side: the kernel buffers fill, then user space backs up
    c.ws._response.connection.transport.pause_reading()
    big = "x" * 65536
    n = 0
    while not srv.notifier.hub.counters.throttled:
        n += 1
        await backend.publish(["a"], {"n": n, "pad": big})
        await wait_until(lambda: srv.notifier.hub.seq >= n)
    c.ws._response.connection.transport.resume_reading()
    assert await c.close_code() == 1013
    # the fast subscriber, reading all along, got every event in order and stays connected
    await wait_until(lambda: len(fast_seqs) >= n)
    reader.cancel()
    assert fast_seqs == list(range(1, n + 1)) and srv.notifier.hub.counters.throttled == 1
    c2 = await connect(srv.url())
    await c2.send({"operation": "resume", "resume_token": token, "seq": 0})
    doc = await c2.recv_doc()
    assert doc["operation"] == "resume_success" and doc["recovered"] is True
    seqs = [(await c2.recv_doc())["seq"] for _ in range(n)]
    assert seqs == list(range(1, n + 1))


async def test_keep_alive_expiry_via_hub_clock(serve, backend, connect) -> None:
    srv = await serve(keep_alive=30_000_000_000)
    c = await connect(srv.url())
    token = await subscribe(c, backend, ["a"])
    await c.ws.close()
    await wait_until(lambda: srv.notifier.hub.subs[token].conn is None)
    srv.notifier.clock_offset += 20
    srv.notifier.tick()
    assert token in srv.notifier.hub.subs
    srv.notifier.clock_offset += 20
    srv.notifier.tick()
    assert token not in srv.notifier.hub.subs
    assert await backend.next("unsubscribe") == {"operation": "unsubscribe", "channels": ["a"]}
    c2 = await connect(srv.url())
    await c2.send({"operation": "resume", "resume_token": token})
    assert await c2.recv_doc() == {"operation": "resume_failed"}


async def test_upgrade_errors(serve, backend) -> None:
    srv = await serve()
    async with aiohttp.ClientSession() as s:
        async with s.get(srv.http_url()) as r:
            assert r.status == 400
        async with s.post(srv.http_url()) as r:
            assert r.status == 405
        hdrs = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "8",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
        async with s.get(srv.http_url(), headers=hdrs) as r:
            assert r.status == 426 and r.headers["Sec-WebSocket-Version"] == "13"
        async with s.get(srv.http_url()) as r:  # the server is still up
            assert r.status == 400


async def test_header_up_and_down(serve, backend, connect) -> None:
    srv = await serve(headers={"request": {"set": {"X-Up": ["yes"]}}, "response": {"set": {"X-Down": ["d"]}}})
    assert backend.dial_headers[-1]["X-Up"] == "yes"
    c = await connect(srv.url())
    assert c.ws._response.headers["X-Down"] == "d"


async def test_last_route_gone_closes_1001(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    await c.send("ping")
    await c.recv()
    await srv.handler.cleanup()
    assert await c.close_code() == 1001


async def test_metrics_current_at_scrape(serve, backend, connect) -> None:
    from prometheus_client import REGISTRY, generate_latest

    srv = await serve(channel_category=[{"match": "^a", "category": "letters"}])
    c = await connect(srv.url())
    await subscribe(c, backend, ["a"])
    await backend.publish(["a"], 1)
    await c.recv_doc()
    text = generate_latest(REGISTRY).decode()
    label = f'upstream="{backend.url}"'
    assert f"caddy_websocket_notifier_event_sent_total{{{label}}} 1.0" in text
    assert f"caddy_websocket_notifier_active_connection{{{label}}} 1.0" in text
    assert f'caddy_websocket_notifier_subscriber_count{{category="letters",{label}}} 1.0' in text
    assert f"caddy_websocket_notifier_upstream_healthy{{{label}}} 1.0" in text


async def test_debug_lines_for_operators(serve, backend, connect, caplog) -> None:
    """An operator at DEBUG sees a subscriber's life under Caddy's logger names, no secrets."""
    caplog.set_level(logging.DEBUG, logger="http.handlers.websocket_notifier")
    srv = await serve(keep_alive=60_000_000_000, max_channels_per_connection=1)
    c = await connect(srv.url())
    token = await subscribe(c, backend, ["a"], cred="secret-cred")
    await c.send({"operation": "subscribe", "request_id": "r2", "credential": "c", "channels": ["b"]})
    assert (await c.recv_doc())["message"] == "max_channels_per_connection exceeded"
    c2 = await connect(srv.url())
    await c2.send({"operation": "resume", "resume_token": token, "seq": 0})
    assert (await c2.recv_doc())["operation"] == "resume_success"
    assert await c.close_code() == 4000
    await wait_until(lambda: any(r.getMessage() == "subscriber disconnected" for r in caplog.records))
    lines = [(r.name, r.getMessage()) for r in caplog.records]
    sub, hub = "http.handlers.websocket_notifier.subscriber", "http.handlers.websocket_notifier.upstream.hub"
    for want in [(sub, "subscriber connected"), (hub, "subscribe forwarded"), (hub, "verify"),
                 (hub, "subscribe refused by a limit"), (hub, "resumed"), (sub, "closing subscriber"),
                 (sub, "subscriber disconnected")]:
        assert want in lines
    text = caplog.text + " ".join(str(getattr(r, "caddy_fields", "")) for r in caplog.records)
    assert token not in text and "secret-cred" not in text
