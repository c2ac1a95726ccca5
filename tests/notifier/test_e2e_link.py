"""End to end: keep-alive, compression, limits, deauthorize, timeouts and shared hubs."""
from __future__ import annotations

import asyncio
import json
import zlib

import aiohttp

from .test_e2e import subscribe, wait_until


async def test_text_ping_and_read_deadline_via_clock(serve, backend, connect) -> None:
    srv = await serve(ping_type="text", pong_wait=60_000_000_000)
    c = await connect(srv.url(), autoping=False)
    n = srv.notifier
    n.clock_offset += 54.5  # past ping_interval (9/10 of pong_wait)
    n.tick()
    ping = await c.recv()
    assert ping.type == aiohttp.WSMsgType.PING
    text = await c.recv()
    assert (text.type, text.data) == (aiohttp.WSMsgType.TEXT, "ping")
    n.clock_offset += 6  # 60.5 s without anything from the client
    n.tick()
    assert await c.close_code() == 1001


async def test_client_traffic_postpones_deadline(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    n = srv.notifier
    n.clock_offset += 50
    n.tick()
    await c.send("pong")  # data refreshes the read deadline
    await c.send("ping")
    assert (await c.recv()).data == "pong"
    n.clock_offset += 20  # 70 s since connect, 20 s since data
    n.tick()
    await c.send("ping")
    assert (await c.recv()).data == "pong"


async def test_permessage_deflate_negotiated_only_when_configured(serve, backend, connect) -> None:
    srv = await serve(compression="permessage-deflate")
    c = await connect(srv.url(), compress=15)
    assert "permessage-deflate" in c.ws._response.headers.get("Sec-WebSocket-Extensions", "")
    token = await subscribe(c, backend, ["a"])
    await backend.publish(["a"], {"big": "z" * 5000})
    doc = await c.recv_doc()
    assert doc["payload"]["big"] == "z" * 5000 and len(token) == 44
    c2 = await connect(srv.url())  # a client that does not offer it still works
    await c2.send("ping")
    assert (await c2.recv()).data == "pong"


async def test_permessage_deflate_refused_by_default(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url(), compress=15)
    assert "Sec-WebSocket-Extensions" not in c.ws._response.headers


async def test_deauthorize_notifies_unsubscribed(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    await subscribe(c, backend, ["a", "b"], cred="k")
    await backend.send({"operation": "deauthorize", "credential": "k"})
    doc = await c.recv_doc()
    assert doc["operation"] == "unsubscribed" and sorted(doc["channels"]) == ["a", "b"]
    unsub = await backend.next("unsubscribe")
    assert sorted(unsub["channels"]) == ["a", "b"]


async def test_subscribe_timeout_reject_via_clock(serve, backend, connect) -> None:
    srv = await serve(subscribe_retries=1, subscribe_try_interval=1_000_000_000)
    c = await connect(srv.url())
    await c.send({"operation": "subscribe", "request_id": "t", "channels": ["a"]})
    first = await backend.next("subscribe")
    n = srv.notifier
    for _ in range(2):
        n.clock_offset += 1
        n.tick()
    retry = await backend.next("subscribe")
    assert retry == first
    for _ in range(3):
        n.clock_offset += 1
        n.tick()
    doc = await c.recv_doc()
    assert doc["reject"] == ["a"] and doc["message"] == "timeout" and doc["resume_token"] == first["subscription_id"]


async def test_shorty_reset_count(serve, backend, connect) -> None:
    from caddy_py.modules.websocket_notifier.shorty import Shorty

    srv = await serve(shorty_reset_count=1)
    c = await connect(srv.url("shorty=1&shorty="))
    assert (await c.recv()).data == "shorty"
    await c.send({"operation": "subscribe", "request_id": "q", "channels": ["a"]})
    sub = await backend.next("subscribe")
    await backend.send({"operation": "verify", "subscription_id": sub["subscription_id"], "request_id": "q",
                        "accept": ["a"]})
    for i in range(3):
        await backend.publish(["a"], i)
    inflater = Shorty()
    kinds = []
    docs = []
    while len(docs) < 4:
        msg = await c.recv()
        if msg.type == aiohttp.WSMsgType.TEXT:
            kinds.append("shorty")
            inflater.reset()
        else:
            kinds.append("bin")
            docs.append(json.loads(inflater.inflate(msg.data)))
    # the first event moves the session from its private tree (the verify reply) onto the
    # shared ones with a reset (shorty_shared); after N+1 = 2 compressed messages it resets again
    assert kinds == ["bin", "shorty", "bin", "bin", "shorty", "bin"]
    assert [d.get("payload") for d in docs] == [None, 0, 1, 2]


async def test_shorty_off_without_value(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url("shorty="))
    await c.send("ping")
    assert (await c.recv()).data == "pong"


async def test_max_connections_503(serve, backend, connect) -> None:
    srv = await serve(max_connections=1)
    c = await connect(srv.url())
    try:
        await connect(srv.url())
        raise AssertionError("second connection accepted")
    except aiohttp.WSServerHandshakeError as e:
        assert e.status == 503
    await c.ws.close()
    await wait_until(lambda: not srv.notifier.hub.conns)
    await connect(srv.url())


async def test_limits_answered_with_verify_reject(serve, backend, connect) -> None:
    """Over max_pending_subscribes or max_channels_per_connection: a verify naming the limit,
    sent by the notifier itself; the connection stays usable."""
    srv = await serve(max_pending_subscribes=1, max_channels_per_connection=2)
    c = await connect(srv.url())
    await c.send({"operation": "subscribe", "request_id": "1", "credential": "c", "channels": ["a"]})
    first = await backend.next("subscribe")  # left unanswered: one pending
    await c.send({"operation": "subscribe", "request_id": "2", "credential": "c", "channels": ["b"]})
    assert await c.recv_doc() == {"operation": "verify", "request_id": "2", "reject": ["b"],
                                  "message": "max_pending_subscribes exceeded",
                                  "resume_token": first["subscription_id"]}
    await backend.send({"operation": "verify", "subscription_id": first["subscription_id"], "request_id": "1",
                        "accept": ["a"]})
    assert (await c.recv_doc())["accept"] == ["a"]
    await c.send({"operation": "subscribe", "request_id": "3", "credential": "c", "channels": ["b", "c"]})
    doc = await c.recv_doc()
    assert (doc["reject"], doc["message"]) == (["b", "c"], "max_channels_per_connection exceeded")
    assert srv.notifier.hub.counters.limit_rejects == 2


async def test_rate_limit_closes_1008(serve, backend, connect) -> None:
    srv = await serve(max_requests_per_second=1, request_burst=3)
    c = await connect(srv.url())
    for _ in range(4):
        await c.send({"operation": "noop"})
    assert await c.close_code() == 1008


async def test_routes_share_one_hub_per_upstream(serve, backend, connect) -> None:
    s1 = await serve(keep_alive=1_000_000_000)
    s2 = await serve(keep_alive=7_000_000_000)
    assert s1.notifier is s2.notifier
    assert s1.notifier.hub.config.keep_alive == 7  # the most recently loaded route's settings
    c = await connect(s1.url())
    token = await subscribe(c, backend, ["a"])
    c2 = await connect(s2.url())
    await c2.send({"operation": "resume", "resume_token": token})
    assert (await c2.recv_doc())["operation"] == "resume_success"
    await s1.handler.cleanup()  # one route left: nobody is closed
    await backend.publish(["a"], 5)
    assert (await c2.recv_doc())["payload"] == 5


async def test_client_fragmented_and_binary_plain_json(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    # a binary frame before `shorty` is parsed as plain JSON (§8)
    await c.ws.send_bytes(b'{"operation":"subscribe","request_id":"b","channels":["x"]}')
    assert (await backend.next("subscribe"))["request_id"] == "b"


async def test_inflated_garbage_closes_1007(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    await c.send("shorty")
    await c.ws.send_bytes(zlib.compress(b"garbage"))
    assert await c.close_code() == 1007


async def test_frames_sent_with_the_handshake_are_not_lost(serve, backend) -> None:
    import base64
    import os

    srv = await serve()
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    key = base64.b64encode(os.urandom(16)).decode()
    payload = b'{"operation":"subscribe","request_id":"early","channels":["e"]}'
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    writer.write(f"GET /notify HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
                 + bytes([0x81, 0x80 | len(payload)]) + mask + masked)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101")
    assert (await backend.next("subscribe"))["request_id"] == "early"
    writer.close()


async def test_resume_with_lost_events_is_not_recovered(serve, backend, connect) -> None:
    srv = await serve(max_event_buffer_size=2, keep_alive=60_000_000_000)
    c = await connect(srv.url())
    token = await subscribe(c, backend, ["a"])
    await c.ws.close()
    await wait_until(lambda: srv.notifier.hub.subs[token].conn is None)
    for i in range(4):
        await backend.publish(["a"], i)
    await wait_until(lambda: srv.notifier.hub.seq == 4)
    c2 = await connect(srv.url())
    await c2.send({"operation": "resume", "resume_token": token, "seq": 0})
    assert await c2.recv_doc() == {"operation": "resume_success", "channels": ["a"], "recovered": False}
    assert [(await c2.recv_doc())["seq"] for _ in range(2)] == [3, 4]
    assert srv.notifier.hub.counters.resume_gap == 1


async def test_ping_burst_coalesced(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    # 50 pings in one write, then a request whose answer marks the end of the replies
    c.ws._writer.transport.write(b"".join(_masked_text(b"ping") for _ in range(50)))
    await c.send({"operation": "subscribe", "request_id": "m", "credential": "x", "channels": ["a"]})
    req = await backend.next("subscribe")
    await backend.send({"operation": "verify", "subscription_id": req["subscription_id"], "request_id": "m"})
    pongs = 0
    while True:
        msg = await c.recv()
        if msg.data != "pong":
            break
        pongs += 1
    assert json.loads(msg.data)["operation"] == "verify"
    assert 1 <= pongs < 50
    assert srv.notifier.hub.counters.inbound_bytes >= 200


def _masked_text(payload: bytes) -> bytes:
    return bytes([0x81, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


async def test_silent_backend_is_redialed(serve, backend) -> None:
    backend.autoping = False
    srv = await serve(pong_wait=400_000_000, ping_interval=200_000_000, write_wait=100_000_000)
    # the link pings every 0.2 s and gives up after 0.4 s of silence, then dials again
    for _ in range(2):
        await asyncio.wait_for(backend.accepts.get(), 5)
    assert srv.notifier.link.dials >= 2


async def test_backend_frames_have_no_size_limit_fix16(serve, backend, connect) -> None:
    srv = await serve(max_message_size=1000)
    c = await connect(srv.url())
    await subscribe(c, backend, ["a"])
    await backend.publish(["a"], "x" * 5000)
    assert (await c.recv_doc())["payload"] == "x" * 5000


async def test_inflated_request_over_limit_closes_1009_fix20(serve, backend, connect) -> None:
    from caddy_py.modules.websocket_notifier.shorty import Shorty

    srv = await serve(max_message_size=1000)
    c = await connect(srv.url())
    await c.send("shorty")
    big = b'{"operation":"x","pad":"' + b"a" * 5000 + b'"}'
    small = Shorty().deflate(big)
    assert len(small) < 1000
    await c.ws.send_bytes(small)
    assert await c.close_code() == 1009


async def test_control_words_only_in_text_frames_fix17(serve, backend, connect) -> None:
    srv = await serve()
    c = await connect(srv.url())
    await c.ws.send_bytes(b"ping")  # not a control word: parsed as JSON, which it is not
    assert await c.close_code() == 1007
