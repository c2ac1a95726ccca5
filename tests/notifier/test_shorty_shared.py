"""Shared outbound shorty states (shorty_shared) against independent private encoders."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings, strategies as st

from caddy_py.modules.websocket_notifier import frames as f
from caddy_py.modules.websocket_notifier import shorty_shared as ss
from caddy_py.modules.websocket_notifier.shorty import Shorty

DOCS = [b'{"operation":"event","channels":["a"],"payload":%d,"seq":%d}\n' % (i, i) for i in range(6)] + [
    b'{"operation":"verify","request_id":"r","accept":["a","b"],"resume_token":"tok%d"}\n' % i for i in range(3)]


@dataclass
class Sub:
    """One simulated subscriber: its shared state and the private encoder it must match."""
    node: ss.TreeState = ss.ROOT
    ref: Shorty = field(default_factory=Shorty)
    history: tuple = ()  # documents since the last reset, None once it had one of its own


@pytest.fixture(autouse=True)
def fresh_root() -> None:
    ss.ROOT.next.clear()  # a failed test must not leave states behind for the next one


def live_states() -> set[int]:
    """Ids of every state reachable from ROOT's cache (all of them are held by someone)."""
    seen: set[int] = set()
    todo = [ss.ROOT]
    while todo:
        n = todo.pop()
        for _, _, child in n.next.values():
            assert child.refs > 0 and child.tree is not None and child.parent is n
            if id(child) not in seen:
                seen.add(id(child))
                todo.append(child)
    return seen


ops = st.lists(st.one_of(
    st.tuples(st.just("event"), st.sets(st.integers(0, 5), min_size=1), st.integers(0, 5)),
    # an event whose recipients are reset onto the fresh tree first (too many states got it)
    st.tuples(st.just("merge"), st.sets(st.integers(0, 5), min_size=1), st.integers(0, 5)),
    st.tuples(st.just("own"), st.integers(0, 5), st.integers(0, len(DOCS) - 1)),
    st.tuples(st.just("leave"), st.integers(0, 5), st.just(0)),
), max_size=40)


@settings(max_examples=200, deadline=None)
@given(ops, st.sampled_from([0, 0, 1, 3]), st.integers(1, 6))
def test_every_subscriber_gets_what_its_own_encoder_makes(script, limit, n) -> None:
    ss.ROOT.next.clear()
    subs = [Sub() for _ in range(n)]
    for op, who, doc in script:
        targets = sorted({w % n for w in who}) if op in ("event", "merge") else [who % n]
        after: dict[int, ss.TreeState] = {}  # start state (ROOT if reset) -> state after, this op
        for i in targets:
            s = subs[i]
            if op == "leave":
                ss.leave(s.node)
                subs[i] = Sub()
                continue
            control = op == "own"
            data = DOCS[doc]
            merge = op == "merge"
            start = ss.ROOT if merge or ss.needs_reset(s.node, control, limit) else s.node
            node, resets, z, frame = ss.step(s.node, data, control, limit, merge)
            assert resets or not merge
            if not control:  # one event reaching several subscribers in one state: one state after
                assert after.setdefault(id(start), node) is node
            if resets:
                s.ref.reset()
                s.history = ()
            assert z == s.ref.deflate(data)
            if frame is not None:
                assert frame == f.build(f.OP_BINARY, z)
            s.node = node
            s.history = None if control or s.history is None else s.history + (data,)
            if s.history is not None:  # shorty_reset_count counts the messages since the last reset
                assert s.node.count == len(s.history)
            if limit:
                assert s.node.count <= limit + 1
        # sharing is sound: subscribers in one state had the same events since their last reset
        by_node: dict[int, tuple] = {}
        for s in subs:
            if s.node.shared:
                assert by_node.setdefault(id(s.node), s.history) == s.history
        for s in subs:
            assert s.node.shared == (s.history is not None)
            if s.node.shared and not s.node.permanent:
                assert s.node.refs == sum(t.node is s.node for t in subs)
        live_states()
    for s in subs:
        ss.leave(s.node)
    assert not ss.ROOT.next  # nothing leaks once everybody has left


def test_one_deflate_per_event_for_subscribers_in_the_same_state(monkeypatch) -> None:
    calls = []
    real = Shorty.deflate

    def counting(self: Shorty, data: bytes) -> bytes:
        calls.append(data)
        return real(self, data)

    monkeypatch.setattr(Shorty, "deflate", counting)
    nodes = [ss.ROOT] * 50
    for data in DOCS[:4]:
        frames = set()
        for i, node in enumerate(nodes):
            nodes[i], resets, z, frame = ss.step(node, data, False, 0)
            frames.add(frame)
            assert not resets
        assert len(frames) == 1  # one shared frame object for everybody
    assert calls == DOCS[:4]
    assert len({id(n) for n in nodes}) == 1 and nodes[0].refs == 50
    for node in nodes:
        ss.leave(node)
    assert not ss.ROOT.next


def test_a_reply_makes_the_tree_private_and_the_next_event_resets_it() -> None:
    a = b = ss.ROOT
    a, _, _, _ = ss.step(a, DOCS[0], False, 0)
    b, _, _, _ = ss.step(b, DOCS[0], False, 0)
    assert a is b and a.refs == 2
    tree = a.tree
    b, resets, _, _ = ss.step(b, DOCS[6], True, 0)  # b's own reply: a's state is not touched
    assert not resets and not b.shared and a.refs == 1 and a.tree is tree
    b, resets, _, _ = ss.step(b, DOCS[1], False, 0)
    assert resets and b.shared and b.count == 1
    a, resets, _, _ = ss.step(a, DOCS[1], False, 0)  # a goes on without a reset: different states
    assert not resets and a is not b and a.count == 2
    ss.leave(a)
    ss.leave(b)
    assert not ss.ROOT.next


def test_a_lone_subscriber_moves_its_tree_on_without_copying(monkeypatch) -> None:
    node, _, _, _ = ss.step(ss.ROOT, DOCS[0], False, 0)
    tree = node.tree
    monkeypatch.setattr(Shorty, "copy", lambda self: (_ for _ in ()).throw(AssertionError("copied")))
    for data in DOCS[1:5]:
        node, _, _, _ = ss.step(node, data, False, 0)
        assert node.tree is tree and node.refs == 1
    ss.leave(node)
    assert not ss.ROOT.next


def test_copy_is_independent() -> None:
    a = Shorty()
    a.deflate(DOCS[0])
    b = a.copy()
    assert a.deflate(DOCS[1]) == b.deflate(DOCS[1])
    b.deflate(DOCS[2])
    c = a.copy()
    assert c.deflate(DOCS[3]) == a.deflate(DOCS[3])
    assert b.sym != a.sym or b.weight != a.weight


def test_a_first_own_document_keeps_no_tree_until_a_second_one() -> None:
    ref = Shorty()
    node, _, z, _ = ss.step(ss.ROOT, DOCS[6], True, 0)
    assert z == ref.deflate(DOCS[6]) and node.tree is None and not node.shared
    for doc in (DOCS[7], DOCS[8]):
        node, resets, z, _ = ss.step(node, doc, True, 0)
        assert not resets and z == ref.deflate(doc) and node.tree is not None
