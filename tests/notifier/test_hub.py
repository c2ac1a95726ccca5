"""Hub state machine: every row of PROTOCOL.md §8, the FIXes and EXT 1, §6.2 arithmetic."""
from __future__ import annotations

import pytest

from caddy_py.modules.websocket_notifier.hub import Fanout, Hub, HubConfig, new_token

from .hubkit import Driver, backend_docs, closes, docs_to


def test_token_shape() -> None:
    t = new_token()
    assert len(t) == 44 and t.endswith("=") and "+" not in t and "/" not in t


def test_subscribe_verify_event_flow() -> None:
    d = Driver()
    d.connect("A", {"ip": "1.2.3.4"})
    out = d.sub("A", {"operation": "subscribe", "request_id": "r1", "credential": "cr", "channels": ["a", "b"]})
    assert backend_docs(out) == [{"operation": "subscribe", "subscription_id": "T1", "request_id": "r1",
                                  "channels": ["a", "b"], "credential": "cr", "metadata": {"ip": "1.2.3.4"}}]
    assert docs_to(out, "A") == []
    out = d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "r1", "accept": ["a"],
                     "reject": ["b"], "message": "no b"})
    assert docs_to(out, "A") == [{"operation": "verify", "request_id": "r1", "accept": ["a"], "reject": ["b"],
                                  "message": "no b", "resume_token": "T1"}]
    out = d.event(["a", "zz"], {"x": 1})
    assert docs_to(out, "A") == [{"operation": "event", "channels": ["a", "zz"], "payload": {"x": 1}, "seq": 1}]
    assert docs_to(d.event(["b"]), "A") == []


def test_event_for_several_held_channels_delivered_once_as_one_fanout() -> None:
    d = Driver()
    for c in "ABC":
        d.connect(c)
        d.subscribe_ok(c, ["x", "y"])
    out = d.event(["x", "y"])
    assert len(out) == 1 and isinstance(out[0], Fanout) and sorted(out[0].conns) == ["A", "B", "C"]
    assert d.hub.counters.event_sent == 3 and d.hub.counters.event_requested == 1


def test_event_bytes_are_go_encoded() -> None:
    d = Driver()
    d.connect("A")
    d.subscribe_ok("A", ["a"])
    out = d.backend(b'{"operation":"event","channels":["a"],"payload": {"p": 2.50, "h": "<\\u00e9>&"} }')
    assert out[0].data == b'{"operation":"event","channels":["a"],"payload":{"p":2.50,"h":"\\u003c\\u00e9\\u003e\\u0026"},"seq":1}\n'
    out = d.backend(b'{"operation":"event","channels":["a"],"payload":null}')
    assert out[0].data == b'{"operation":"event","channels":["a"],"payload":null,"seq":2}\n'
    out = d.backend(b'{"operation":"event","channels":["a"]}')
    assert out[0].data == b'{"operation":"event","channels":["a"],"seq":3}\n'


def test_events_without_recipients_consume_seq() -> None:
    d = Driver()
    d.connect("A")
    d.event([])
    d.event(["nobody"])
    d.subscribe_ok("A", ["a"])
    assert docs_to(d.event(["a"]), "A")[0]["seq"] == 3
    assert d.hub.counters.event_requested == 3  # FIX 14


# -- §8 rows -------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [b"{", b"[1]", b'{"seq":"5"}', b'{"seq":-1}', b'{"seq":5.0}', b'{"seq":1e3}',
                                 b'{"channels":"a"}', b'"str"', b'{"seq":18446744073709551616}', b"NaN",
                                 b'{"operation":5}', b'{"channels":[1]}'])
def test_bad_json_closes_1007_and_keeps_subscription(bad: bytes) -> None:
    d = Driver()
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])
    out = d.sub("A", bad)
    assert closes(out) == [("A", 1007)]  # FIX 18
    assert d.hub.subs[token].conn is None and "a" in d.hub.channels
    d.connect("B")
    assert docs_to(d.sub("B", {"operation": "resume", "resume_token": token}), "B")[0]["operation"] == "resume_success"


@pytest.mark.parametrize("ok", [b"null", b'{"operation":"SUBSCRIBE"}', b'{"operation":"nope"}', b"{}",
                                b'{"foo":[1,{"x":null}]}'])
def test_unknown_or_null_is_ignored(ok: bytes) -> None:
    d = Driver()
    d.connect("A")
    assert d.sub("A", ok) == []
    assert "A" in d.hub.conns


def test_trailing_data_duplicate_keys_nulls_and_case() -> None:
    d = Driver()
    d.connect("A")
    out = d.sub("A", b'{"operation":"x","Operation":"subscribe","request_id":null,"channels":["a"]} trailing junk')
    assert backend_docs(out)[0]["channels"] == ["a"] and "request_id" not in backend_docs(out)[0]


def test_invalid_utf8_becomes_replacement_char() -> None:
    d = Driver()
    d.connect("A")
    out = d.sub("A", b'{"operation":"subscribe","channels":["a\xffb"]}')
    assert backend_docs(out)[0]["channels"] == ["a\ufffdb"]


def test_pipelined_subscribes_and_duplicate_request_id() -> None:
    d = Driver()
    d.connect("A")
    out = d.sub("A", {"operation": "subscribe", "request_id": "1", "channels": ["a"]})
    out += d.sub("A", {"operation": "subscribe", "request_id": "2", "channels": ["b"]})
    out += d.sub("A", {"operation": "subscribe", "request_id": "2", "channels": ["c"]})  # duplicate
    assert [b["request_id"] for b in backend_docs(out)] == ["1", "2"]
    out = d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "2", "accept": ["b"]})
    out += d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "1", "accept": ["a"]})
    assert [m["request_id"] for m in docs_to(out, "A")] == ["2", "1"]
    # both answered: the anonymous / reused key is free again
    assert backend_docs(d.sub("A", {"operation": "subscribe", "request_id": "2", "channels": ["c"]}))


def test_verify_for_unknown_or_expired_request_ignored() -> None:
    d = Driver()
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    assert d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "other", "accept": ["a"]}) == []
    d.tick(10)
    d.tick(20)
    out = d.tick(30)
    assert docs_to(out, "A") == [{"operation": "verify", "request_id": "r", "reject": ["a"], "message": "timeout",
                                  "resume_token": "T1"}]  # FIX 12, §13.7
    assert d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "r", "accept": ["a"]}) == []
    assert d.hub.subs["T1"].channels == set()


def test_unsubscribe_unknown_channel_and_without_subscription_noop() -> None:
    d = Driver()
    d.connect("A")
    assert d.sub("A", {"operation": "unsubscribe", "channels": ["a"]}) == []
    d.subscribe_ok("A", ["a"])
    assert d.sub("A", {"operation": "unsubscribe", "channels": ["zz"]}) == []


def test_unsubscribe_reports_emptied_channels_only() -> None:
    d = Driver()
    d.connect("A")
    d.connect("B")
    d.subscribe_ok("A", ["a", "b"])
    d.subscribe_ok("B", ["b"])
    out = d.sub("A", {"operation": "unsubscribe", "request_id": "x", "channels": ["a", "b"]})
    assert backend_docs(out) == [{"operation": "unsubscribe", "channels": ["a"]}]
    assert docs_to(out, "A") == []  # no reply
    assert docs_to(d.event(["a", "b"]), "A") == []


def test_unsubscribe_cleans_credentials_fix9() -> None:
    d = Driver()
    d.connect("A")
    d.subscribe_ok("A", ["a", "b"], cred="k")
    d.sub("A", {"operation": "unsubscribe", "channels": ["a"]})
    out = d.backend({"operation": "deauthorize", "credential": "k"})
    assert docs_to(out, "A") == [{"operation": "unsubscribed", "channels": ["b"]}]
    assert backend_docs(out) == [{"operation": "unsubscribe", "channels": ["b"]}]


def test_resume_unknown_empty_token() -> None:
    d = Driver()
    d.connect("A")
    for req in ({"operation": "resume", "resume_token": "nope"}, {"operation": "resume"}):
        assert docs_to(d.sub("A", req), "A") == [{"operation": "resume_failed"}]
    assert d.hub.counters.resume_failed == 2


def test_resume_pruned_token_fails() -> None:
    d = Driver()
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])
    d.hub.disconnect("A")
    out = d.tick(10)
    assert backend_docs(out) == [{"operation": "unsubscribe", "channels": ["a"]}]
    d.connect("B")
    assert docs_to(d.sub("B", {"operation": "resume", "resume_token": token}), "B") == [{"operation": "resume_failed"}]


def test_resume_elsewhere_closes_old_with_4000_fix5_fix7() -> None:
    d = Driver(max_event_buffer_size=10)
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])
    d.event(["a"])
    d.connect("B")
    out = d.sub("B", {"operation": "resume", "resume_token": token, "seq": 1})
    assert closes(out) == [("A", 4000)]
    assert docs_to(out, "B") == [{"operation": "resume_success", "channels": ["a"], "recovered": True}]
    d.hub.disconnect("A")  # the old connection's close arrives later
    assert d.hub.subs[token].conn == "B"
    assert docs_to(d.event(["a"]), "B")[0]["seq"] == 2
    d.tick(100)
    assert token in d.hub.subs


def test_resume_own_token_no_close_fix6() -> None:
    d = Driver()
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])
    out = d.sub("A", {"operation": "resume", "resume_token": token})
    assert closes(out) == [] and docs_to(out, "A")[0]["operation"] == "resume_success"


def test_resume_over_other_subscription_fails_fix6() -> None:
    d = Driver()
    d.connect("A")
    d.connect("B")
    t1 = d.subscribe_ok("A", ["a"])
    d.hub.disconnect("A")
    d.subscribe_ok("B", ["b"])
    out = d.sub("B", {"operation": "resume", "resume_token": t1})
    assert docs_to(out, "B") == [{"operation": "resume_failed"}]
    assert d.hub.subs[t1].conn is None


def test_resume_after_subscribe_on_same_connection_fails_13_8() -> None:
    d = Driver()
    d.connect("A")
    t1 = d.subscribe_ok("A", ["a"])
    d.hub.disconnect("A")
    d.connect("B")
    d.sub("B", {"operation": "subscribe", "request_id": "q", "channels": ["z"]})
    assert docs_to(d.sub("B", {"operation": "resume", "resume_token": t1}), "B") == [{"operation": "resume_failed"}]


def test_resume_success_always_sent_even_without_channels_fix4() -> None:
    d = Driver()
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    d.hub.disconnect("A")
    d.connect("B")
    out = d.sub("B", {"operation": "resume", "resume_token": "T1"})
    assert docs_to(out, "B") == [{"operation": "resume_success", "recovered": True}]
    # the pending request's verify goes to the new connection
    out = d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "r", "accept": ["a"]})
    assert docs_to(out, "B")[0]["accept"] == ["a"]


def test_replay_own_seq_strictly_after_and_from_creation_fix1_2_3() -> None:
    d = Driver(max_event_buffer_size=100)
    d.connect("A")
    d.event(["a"])  # seq 1, before the subscription existed
    token = d.subscribe_ok("A", ["a", "b"])
    for ch in (["a"], ["b"], ["c"], ["a", "b"]):  # seq 2..5
        d.event(ch)
    d.hub.disconnect("A")
    d.event(["a"])  # seq 6 while away
    d.connect("B")
    out = d.sub("B", {"operation": "resume", "resume_token": token, "seq": 3})
    got = docs_to(out, "B")
    assert got[0] == {"operation": "resume_success", "channels": ["a", "b"], "recovered": True}
    assert [m["seq"] for m in got[1:]] == [5, 6]
    d.hub.disconnect("B")
    d.connect("C")
    got = docs_to(d.sub("C", {"operation": "resume", "resume_token": token}), "C")  # seq 0: since creation
    assert [m["seq"] for m in got[1:]] == [2, 3, 5, 6]
    assert d.hub.counters.event_sent >= 6


def test_replay_uses_channels_at_resume_time() -> None:
    d = Driver(max_event_buffer_size=10)
    d.connect("A")
    token = d.subscribe_ok("A", ["a", "b"])
    d.hub.disconnect("A")
    d.event(["a"])
    d.event(["b"])
    d.backend({"operation": "deauthorize", "credential": "c"})
    d.connect("B")
    got = docs_to(d.sub("B", {"operation": "resume", "resume_token": token}), "B")
    assert got == [{"operation": "resume_success", "recovered": True}]


@pytest.mark.parametrize("size,req_seq,expected", [
    (0, 0, False), (0, 3, True), (2, 1, True), (2, 0, False), (1, 2, True), (5, 0, True),
])
def test_recovered_ext1(size: int, req_seq: int, expected: bool) -> None:
    d = Driver(max_event_buffer_size=size)
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])  # created at seq 0
    d.hub.disconnect("A")
    for _ in range(3):
        d.event(["a"])  # seqs 1..3; a buffer of 2 holds 2,3
    d.connect("B")
    got = docs_to(d.sub("B", {"operation": "resume", "resume_token": token, "seq": req_seq}), "B")
    assert got[0]["recovered"] is expected
    assert [m["seq"] for m in got[1:]] == [s for s in range(1, 4) if s > req_seq and s > 3 - size]


def test_recovered_uses_created_seq() -> None:
    d = Driver(max_event_buffer_size=0)
    d.connect("A")
    d.event(["x"])
    d.event(["x"])
    token = d.subscribe_ok("A", ["a"])  # created at seq 2
    d.hub.disconnect("A")
    d.connect("B")
    assert docs_to(d.sub("B", {"operation": "resume", "resume_token": token}), "B")[0]["recovered"] is True


def test_events_before_verify_not_delivered() -> None:
    d = Driver(max_event_buffer_size=10)
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    assert docs_to(d.event(["a"]), "A") == []
    out = d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "r", "accept": ["a"]})
    out += d.event(["a"])
    assert [m["operation"] for m in docs_to(out, "A")] == ["verify", "event"]


def test_verify_while_disconnected_adds_channels_silently() -> None:
    d = Driver(keep_alive=60)
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    d.hub.disconnect("A")
    out = d.backend({"operation": "verify", "subscription_id": "T1", "request_id": "r", "accept": ["a", "extra"]})
    assert out == []
    d.connect("B")
    got = docs_to(d.sub("B", {"operation": "resume", "resume_token": "T1"}), "B")
    assert got == [{"operation": "resume_success", "channels": ["a", "extra"], "recovered": True}]


# -- deauthorize (FIX 8) -------------------------------------------------------------------

def test_deauthorize_credential_aware_and_keeps_token() -> None:
    d = Driver()
    d.connect("A")
    d.connect("B")
    token = d.subscribe_ok("A", ["a", "b"], rid="1", cred="k1")
    d.subscribe_ok("A", ["b", "c"], rid="2", cred="k2")
    d.subscribe_ok("B", ["a"], cred="k1")
    out = d.backend({"operation": "deauthorize", "credential": "k1"})
    assert docs_to(out, "A") == [{"operation": "unsubscribed", "channels": ["a"]}]
    assert docs_to(out, "B") == [{"operation": "unsubscribed", "channels": ["a"]}]
    assert backend_docs(out) == [{"operation": "unsubscribe", "channels": ["a"]}]
    assert d.hub.subs[token].channels == {"b", "c"}
    # the connection keeps its subscription: a new subscribe reuses the token (FIX 8c)
    out = d.sub("A", {"operation": "subscribe", "request_id": "3", "channels": ["d"]})
    assert backend_docs(out)[0]["subscription_id"] == token
    # nothing removed -> nothing sent
    assert d.backend({"operation": "deauthorize", "credential": "k1"}) == []


def test_deauthorize_empty_credential_is_a_credential() -> None:
    d = Driver()
    d.connect("A")
    d.subscribe_ok("A", ["a"], cred="")
    out = d.backend({"operation": "deauthorize"})
    assert docs_to(out, "A") == [{"operation": "unsubscribed", "channels": ["a"]}]


# -- pending requests, retries, pruning (§6.2, §6.6) -----------------------------------------

@pytest.mark.parametrize("retries", [0, 1, 3])
def test_retry_arithmetic(retries: int) -> None:
    d = Driver(subscribe_retries=retries, subscribe_try_interval=2)
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    sends, expired_at = [], None
    for tick in range(1, 2 * retries + 5):
        out = d.tick(2 * tick)
        if backend_docs(out):
            sends.append(tick)
        if docs_to(out, "A"):
            expired_at = tick
            break
    assert sends == list(range(2, retries + 2))
    assert expired_at == 2 * retries + 3


def test_retry_skipped_while_down_but_counting_and_flushed_on_reconnect() -> None:
    d = Driver(subscribe_retries=2, subscribe_try_interval=1)
    d.connect("A")
    d.subscribe_ok("A", ["a"], rid="old")
    d.hub.upstream_down()
    out = d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["b"]})
    out += d.tick(1) + d.tick(2)
    assert backend_docs(out) == []  # §13.9: nothing queued while down
    d.sub("A", {"operation": "unsubscribe", "channels": ["zz"]})
    d.hub.upstream_up()
    out = d.take()
    assert backend_docs(out) == [
        {"operation": "resume", "channels": ["a"]},
        {"operation": "subscribe", "subscription_id": "T1", "request_id": "r", "channels": ["b"]},
    ]
    assert d.hub.pending[("T1", "r")].tries == 2


def test_default_retry_tick_is_housekeeping() -> None:
    d = Driver()
    d.connect("A")
    d.sub("A", {"operation": "subscribe", "request_id": "r", "channels": ["a"]})
    assert docs_to(d.tick(9.9), "A") == []
    d.tick(10)
    d.tick(20)
    assert docs_to(d.tick(30), "A")[0]["message"] == "timeout"


def test_keep_alive_prune_and_pending_dropped_fix13() -> None:
    d = Driver(keep_alive=25)
    d.connect("A")
    d.connect("B")
    token = d.subscribe_ok("A", ["a", "b"])
    d.subscribe_ok("B", ["b"])
    d.sub("A", {"operation": "subscribe", "request_id": "p", "channels": ["c"]})
    d.tick(3)
    d.hub.disconnect("A")  # last_active = 3
    assert d.tick(20) == []
    assert token in d.hub.subs
    out = d.tick(30)  # 27 s disconnected
    assert backend_docs(out) == [{"operation": "unsubscribe", "channels": ["a"]}]
    assert token not in d.hub.subs and not any(k[0] == token for k in d.hub.pending)
    assert d.backend({"operation": "verify", "subscription_id": token, "request_id": "p", "accept": ["c"]}) == []


def test_keep_alive_zero_prunes_at_next_tick() -> None:
    d = Driver()
    d.connect("A")
    token = d.subscribe_ok("A", ["a"])
    d.tick(5)
    d.hub.disconnect("A")
    assert backend_docs(d.tick(10)) == [{"operation": "unsubscribe", "channels": ["a"]}]
    assert token not in d.hub.subs


def test_upstream_resume_lists_channels_of_disconnected_subscriptions() -> None:
    d = Driver(keep_alive=100)
    d.connect("A")
    d.subscribe_ok("A", ["a"])
    d.hub.disconnect("A")
    d.hub.upstream_down()
    d.hub.upstream_up()
    assert backend_docs(d.take()) == [{"operation": "resume", "channels": ["a"]}]


def test_no_resume_when_no_channels() -> None:
    d = Driver(up=False)
    d.hub.upstream_up()
    assert d.take() == []


def test_malformed_backend_message_skipped() -> None:
    d = Driver()
    d.connect("A")
    d.subscribe_ok("A", ["a"])
    assert d.backend(b"{nope") == [] and d.backend(b'{"operation":"event","channels":"a"}') == []
    assert d.hub.counters.backend_malformed == 2 and d.hub.seq == 0
    assert docs_to(d.event(["a"]), "A")[0]["seq"] == 1


def test_backend_message_with_invalid_utf8_still_parsed() -> None:
    d = Driver()
    d.connect("A")
    d.subscribe_ok("A", ["a"])
    out = d.backend(b'{"operation":"event","channels":["a"],"payload":"x\xff"}')
    assert docs_to(out, "A")[0]["payload"] == "x\ufffd"


# -- limits (§11) --------------------------------------------------------------------------

def test_limit_max_channels_rejects_with_message() -> None:
    d = Driver(max_channels_per_connection=2)
    d.connect("A")
    d.subscribe_ok("A", ["a", "b"])
    out = d.sub("A", {"operation": "subscribe", "request_id": "x", "channels": ["c"]})
    assert backend_docs(out) == []
    assert docs_to(out, "A") == [{"operation": "verify", "request_id": "x", "reject": ["c"],
                                  "message": "max_channels_per_connection exceeded", "resume_token": "T1"}]


def test_limit_max_pending() -> None:
    d = Driver(max_pending_subscribes=2)
    d.connect("A")
    for rid in "12":
        d.sub("A", {"operation": "subscribe", "request_id": rid, "channels": ["a"]})
    out = d.sub("A", {"operation": "subscribe", "request_id": "3", "channels": ["a"]})
    assert docs_to(out, "A")[0]["message"] == "max_pending_subscribes exceeded"


def test_rate_limit_token_bucket_fed_by_tick() -> None:
    d = Driver(max_requests_per_second=2, request_burst=3)
    d.connect("A")
    for _ in range(3):
        assert d.sub("A", {"operation": "noop"}) == []
    d.tick(1.0)  # +2 tokens
    for _ in range(2):
        assert d.sub("A", {"operation": "noop"}) == []
    assert closes(d.sub("A", {"operation": "noop"})) == [("A", 1008)]
    assert "A" not in d.hub.conns


def test_max_connections() -> None:
    hub = Hub(HubConfig(max_connections=1))
    assert hub.connect("A") and not hub.connect("B")
    hub.disconnect("A")
    assert hub.connect("B")


def test_close_all_for_removed_route_fix24() -> None:
    d = Driver()
    d.connect("A")
    d.connect("B")
    d.hub.close_all()
    assert sorted(closes(d.take())) == [("A", 1001), ("B", 1001)]
    assert d.hub.conns == {}


# -- metrics hooks -------------------------------------------------------------------------

def test_gauges_and_categories() -> None:
    d = Driver(channel_category=[("^user-", "user"), ("^room", "room"), ("", "other")])
    d.connect("A")
    d.connect("B")
    d.subscribe_ok("A", ["user-1", "room1"])
    d.subscribe_ok("B", ["user-1", "x"])
    g = d.hub.gauges()
    assert g["active_connection"] == 2 and g["active_subscription"] == 2 and g["channel_count"] == 3
    assert g["subscriber_count"] == {"user": 2, "room": 1, "other": 1}
    assert g["upstream_healthy"] == 1
    d.sub("B", {"operation": "unsubscribe", "channels": ["user-1"]})
    assert d.hub.gauges()["subscriber_count"]["user"] == 1
    assert d.hub.counters.subscribe_requested == 4


def test_configure_applies_new_settings_but_keeps_try_interval() -> None:
    d = Driver(subscribe_try_interval=3, max_event_buffer_size=5)
    for _ in range(5):
        d.event(["a"])
    d.hub.configure(HubConfig(keep_alive=9, max_event_buffer_size=2, subscribe_try_interval=99))
    assert d.hub.config.keep_alive == 9 and len(d.hub.buffer) == 2 and d.hub.try_interval == 3
