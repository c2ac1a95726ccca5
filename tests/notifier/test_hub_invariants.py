"""Random operation sequences keep the hub's indexes consistent with its subscriptions."""
from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from caddy_py.modules.websocket_notifier.hub import Close, Fanout, Send

from .hubkit import Driver

CONNS = ["A", "B", "C"]
CHANS = ["a", "b", "c"]
CREDS = ["k1", "k2", ""]

chans = st.lists(st.sampled_from(CHANS), max_size=3)
op = st.one_of(
    st.tuples(st.just("connect"), st.sampled_from(CONNS)),
    st.tuples(st.just("disconnect"), st.sampled_from(CONNS)),
    st.tuples(st.just("subscribe"), st.sampled_from(CONNS), st.sampled_from(["1", "2"]), st.sampled_from(CREDS), chans),
    st.tuples(st.just("unsubscribe"), st.sampled_from(CONNS), chans),
    st.tuples(st.just("resume"), st.sampled_from(CONNS), st.sampled_from(["T1", "T2", "T3", "T4"]), st.integers(0, 5)),
    st.tuples(st.just("verify"), st.sampled_from(["T1", "T2", "T3"]), st.sampled_from(["1", "2"]), chans),
    st.tuples(st.just("event"), chans),
    st.tuples(st.just("deauthorize"), st.sampled_from(CREDS)),
    st.tuples(st.just("tick"), st.floats(0, 15)),
    st.tuples(st.just("link"), st.booleans()),
)


def check(d: Driver) -> None:
    hub = d.hub
    for ch, subs in hub.channels.items():
        assert subs, ch
        assert subs == {s for s in hub.subs.values() if ch in s.channels}
        assert hub.live[ch] == {s.conn for s in subs if s.conn is not None}
    assert set(hub.live) == set(hub.channels)
    for token, sub in hub.subs.items():
        assert sub.token == token
        held: set[str] = set()
        for cred, cs in sub.creds.items():
            assert cs and sub in hub.cred_subs[cred]
            held |= cs
        assert held == sub.channels
        assert sub.pending == sum(1 for k in hub.pending if k[0] == token)
        if sub.conn is not None:
            assert hub.conns[sub.conn].sub is sub
    for conn, state in hub.conns.items():
        if state.sub is not None:
            assert hub.subs.get(state.sub.token) is state.sub
    counts: dict[str, int] = {}
    for ch, subs in hub.channels.items():
        cat = hub.category_of.get(ch)
        if cat:
            counts[cat] = counts.get(cat, 0) + len(subs)
    assert {k: v for k, v in hub.categories.items() if v} == counts


@settings(max_examples=200, deadline=None)
@given(st.lists(op, max_size=40))
def test_random_sequences_keep_indexes_consistent(ops: list) -> None:
    d = Driver(keep_alive=5, max_event_buffer_size=3, channel_category=[("^a", "A"), (".", "other")])
    now = 0.0
    for o in ops:
        kind = o[0]
        if kind == "connect":
            if o[1] not in d.hub.conns:
                d.connect(o[1])
        elif kind == "disconnect":
            d.hub.disconnect(o[1])
        elif kind == "subscribe":
            d.sub(o[1], {"operation": "subscribe", "request_id": o[2], "credential": o[3], "channels": o[4]})
        elif kind == "unsubscribe":
            d.sub(o[1], {"operation": "unsubscribe", "channels": o[2]})
        elif kind == "resume":
            d.sub(o[1], {"operation": "resume", "resume_token": o[2], "seq": o[3]})
        elif kind == "verify":
            d.backend({"operation": "verify", "subscription_id": o[1], "request_id": o[2], "accept": o[3]})
        elif kind == "event":
            d.event(o[1])
        elif kind == "deauthorize":
            d.backend({"operation": "deauthorize", "credential": o[1]})
        elif kind == "tick":
            now += o[1]
            d.tick(now)
        elif kind == "link":
            d.hub.upstream_up() if o[1] else d.hub.upstream_down()
        for a in d.take():  # every document is valid JSON ending in a newline, sent to a known conn
            if isinstance(a, (Send, Fanout)):
                assert a.data.endswith(b"\n")
                json.loads(a.data)
            if isinstance(a, Close):
                assert a.conn not in d.hub.conns
        check(d)
