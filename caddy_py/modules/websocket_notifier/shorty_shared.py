"""Outbound shorty trees shared between subscribers (a caddy-py extension of PROTOCOL.md §2.4).

Two connections whose outbound trees have seen the same messages since their last reset hold
equal trees, so they send the same bytes for the next message. Every shorty session points at a
`TreeState`; sessions with equal trees point at the same shared one. When sessions at state N
get event E, the first one deflates E on a copy of N's tree and records (E → frame, child) on N;
the others take the cached frame and move to the child. A state is freed (tree dropped, unlinked)
as soon as no session points at it, so at most one tree per distinct state stays alive.

A reply of a session's own (verify, resume_success, ...) moves it to a private state. The next
event then first resets it onto the fresh tree `ROOT`: the server queues the text frame `shorty`,
which makes the client reset its inflater (§2.4 allows the server to reset at any time). Only
sessions that receive events pay that reset. `shorty_reset_count` counts per state.

Subscribers that join at different times end up in different states (each is reset at its
own first event), so one event reaching many of them would be deflated many times: once
`MAX_STATES_PER_EVENT` states have deflated one event, only the recipients in the largest
`MAX_STATES_PER_EVENT` states go on in theirs; the others are reset onto the fresh tree, where
they share one deflate (and one state from then on). So an event is deflated at most
2 × MAX_STATES_PER_EVENT + 1 times, however many subscribers get it.

Deflating is the only costly step left, so it has a budget per event-loop turn (`BUDGET` bytes
of input): past it, a session's documents wait, in order, for the next turns. Deflates that
serve many sessions at once (the fresh tree's, or a state of `CROWD` or more) are always done:
there are at most 2 × MAX_STATES_PER_EVENT + 1 of them per event.
"""
from __future__ import annotations

import asyncio
import heapq
from collections import deque
from types import MappingProxyType
from typing import TYPE_CHECKING

from caddy_py.modules.websocket_notifier import frames as f
from caddy_py.modules.websocket_notifier.shorty import Shorty

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.modules.websocket_notifier.session import Session

SHORTY_FRAME = f.build(f.OP_TEXT, b"shorty")
BUDGET = 64 * 1024  # bytes deflated per loop turn (~15 ms of CPU) before documents wait a turn
CROWD = 16  # deflates for a state of at least this many sessions do not count against BUDGET
# an event is deflated for at most this many distinct tree states (subscribers that joined at
# different times sit in different states); its other recipients are reset onto the fresh tree
MAX_STATES_PER_EVENT = 8


_NOTHING = MappingProxyType({})  # the cache of every private state: read-only
_scratch = Shorty()  # deflates a session's first own document after a reset


class TreeState:
    """One outbound tree state. Shared states are immutable by convention: moving on copies."""
    __slots__ = ("tree", "count", "refs", "next", "parent", "key", "shared", "permanent")

    def __init__(self, tree: Shorty | None, count: int, shared: bool = True, key: bytes = b"") -> None:
        # None once handed on to the only session's next state; for a private state made from
        # the fresh tree, None until needed: `key` (its one document) rebuilds it
        self.tree = tree
        self.count = count  # messages deflated since the last reset (for shorty_reset_count)
        self.refs = 0  # sessions pointing here
        # event document -> (frame, deflated bytes, the state after it); private: always empty
        self.next: dict[bytes, tuple[bytes, bytes, TreeState]] = {} if shared else _NOTHING  # type: ignore
        self.parent: TreeState | None = None  # the state this one was derived from, while both live
        self.key = key  # the document that led here from `parent`
        self.shared = shared
        self.permanent = False


ROOT = TreeState(Shorty(), 0)  # the fresh tree: every reset leads here; never freed
ROOT.permanent = True


def _release(node: TreeState) -> None:
    """One session left `node`; free it when it was the last one."""
    node.refs -= 1
    if node.refs <= 0:
        free(node)


def free(node: TreeState) -> None:
    """No session points at `node` any more: drop its tree and unlink it (ROOT stays)."""
    if node.permanent:
        return
    node.tree = None
    parent = node.parent
    if parent is not None:
        node.parent = None
        entry = parent.next.get(node.key)
        if entry is not None and entry[2] is node:
            del parent.next[node.key]
    for entry in node.next.values():
        entry[2].parent = None
    node.next.clear()


def settle(node: TreeState, hit: tuple[bytes, bytes, TreeState], n: int) -> int:
    """`n` sessions took the cached event `hit` from `node` (Notifier._fanout's fast path):
    move their references; the compressed bytes they were sent."""
    hit[2].refs += n
    node.refs -= n
    if node.refs <= 0:
        free(node)
    return len(hit[1]) * n


def reset(node: TreeState) -> TreeState:
    """Leave `node` for the fresh tree (the caller sends `shorty`)."""
    leave(node)
    return ROOT


def cached(node: TreeState, data: bytes) -> bool:
    """Can `data` be sent from `node` as an event without deflating?"""
    return node.shared and data in node.next


def encode_event(node: TreeState, data: bytes) -> tuple[TreeState, bytes, bytes]:
    """(state after, frame, deflated bytes) of event `data` sent from shared state `node`."""
    entry = node.next.get(data)
    if entry is None:
        sole = node.refs == 1 and not node.permanent
        tree = node.tree if sole else node.tree.copy()  # type: ignore[union-attr]
        assert tree is not None
        z = tree.deflate(data)
        child = TreeState(tree, node.count + 1)
        entry = (f.build(f.OP_BINARY, z), z, child)
        if sole:  # nobody else can ask: hand the tree on, no cache entry
            node.tree = None
        else:
            child.parent = node
            child.key = data
            node.next[data] = entry
    child = entry[2]
    child.refs += 1
    _release(node)
    return child, entry[0], entry[1]


def encode_own(node: TreeState, data: bytes) -> tuple[TreeState, bytes]:
    """(private state after, deflated bytes) of a document only this session gets."""
    if node.shared:
        if node.permanent:  # most often a verify right after connecting: keep no tree for it
            _scratch.reset()
            return TreeState(None, 1, shared=False, key=data), _scratch.deflate(data)
        if node.refs == 1:
            tree, node.tree = node.tree, None
        else:
            tree = node.tree.copy()  # type: ignore[union-attr]
        priv = TreeState(tree, node.count, shared=False)
        _release(node)
        node = priv
    elif node.tree is None:  # a second own document: rebuild the tree from the first
        node.tree = Shorty()
        node.tree.deflate(node.key)
    z = node.tree.deflate(data)
    node.count += 1
    return node, z


def leave(node: TreeState) -> None:
    """A session with this state is gone."""
    if node.shared:
        _release(node)
    else:
        node.tree = None


def needs_reset(node: TreeState, control: bool, limit: int) -> bool:
    """Must the tree be reset before this document? An event for a private tree goes back
    onto the shared trees; `shorty_reset_count` (limit) as in §2.4, counted per state."""
    return (not control and not node.shared) or (limit > 0 and node.count > limit)


def step(node: TreeState, data: bytes, control: bool, limit: int,
         merge: bool = False) -> tuple[TreeState, bool, bytes, bytes | None]:
    """Send one document from `node`: (state after, reset first?, deflated bytes, the shared
    binary frame of an event or None). `control` documents are the session's own; `merge`
    resets the tree anyway (onto the fresh one, shared with the others reset there)."""
    resets = merge or needs_reset(node, control, limit)
    if resets:
        node = reset(node)
    if control:
        node, z = encode_own(node, data)
        return node, resets, z, None
    node, frame, z = encode_event(node, data)
    return node, resets, z, frame


# -- sessions ----------------------------------------------------------------------------------
class _Turn:
    """Deflate budget of the current loop turn, and the sessions whose documents wait."""
    __slots__ = ("loop", "spent", "armed", "waiting", "event", "misses", "kept")

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.spent = 0
        self.armed = False
        self.event = b""  # the event being fanned out, and how many states deflated it
        self.misses = 0
        self.kept: set[TreeState] | None = None  # the states that may still deflate it
        self.waiting: dict[Session, deque[tuple[bytes, bool]]] = {}


_turn = _Turn()


def _spend(size: int) -> bool:
    """Take `size` bytes of this turn's deflate budget, if any is left."""
    t = _turn
    loop = asyncio.get_running_loop()
    if t.loop is not loop:  # a new loop (tests): whatever waited belonged to the old one
        t.loop, t.spent, t.armed = loop, 0, False
        t.waiting = {}
    if t.spent >= BUDGET:
        return False
    if not t.armed:
        t.armed = True
        loop.call_soon(_next_turn)
    t.spent += size
    return True


def _next_turn() -> None:
    """Go on with the waiting documents: one per session per pass, so that sessions in one
    state move on together and the later ones find the frame the first one made."""
    t = _turn
    t.armed = False
    t.spent = 0
    waiting = t.waiting
    progress = True
    while waiting and progress:
        progress = False
        for s, docs in list(waiting.items()):
            if s.closing or s.closed:
                del waiting[s]
                continue
            data, control = docs[0]
            if _deliver(s, data, control, False):
                progress = True
                docs.popleft()
                if not docs:
                    del waiting[s]
    # anything left waits for budget: the _spend that took this turn's budget armed the next


def fanout(data: bytes) -> dict["Session", deque[tuple[bytes, bool]]]:
    """Notifier._fanout starts with event `data`. Returns the sessions whose documents wait for
    deflate budget (their events must queue behind)."""
    t = _turn
    t.event = data
    t.misses = 0
    t.kept = None
    return t.waiting


def waiting() -> dict["Session", deque[tuple[bytes, bool]]]:
    """Sessions whose documents wait for deflate budget."""
    return _turn.waiting


def _keep(conns: list) -> set[TreeState]:
    """The MAX_STATES_PER_EVENT shared states holding most of `conns`."""
    sizes: dict[TreeState, int] = {}
    for c in conns:
        node = c.shorty_out
        if node is not None and node.shared:
            sizes[node] = sizes.get(node, 0) + 1
    return set(heapq.nlargest(MAX_STATES_PER_EVENT, sizes, key=sizes.__getitem__))


def send(s: "Session", data: bytes, control: bool, conns: list | None = None) -> None:
    """Queue one document for shorty session `s` (the shorty half of Session.send_doc);
    `conns`: every recipient of this event, when it is fanned out."""
    waiting = _turn.waiting
    if waiting and s in waiting:  # earlier documents wait for budget: keep the order
        waiting[s].append((data, control))
    elif not _deliver(s, data, control, False, conns):
        _turn.waiting[s] = deque(((data, control),))


def send_event(s: "Session", data: bytes, conns: list) -> None:
    """Notifier._fanout's way to an event its fast path could not take for `s`."""
    if not s.closing:
        s.notifier.hub.counters.outbound_bytes += len(data)
        send(s, data, False, conns)


def drain(s: "Session") -> None:
    """Deflate what waits for `s` now (before its close frame goes out)."""
    docs = _turn.waiting.pop(s, None)
    if docs and not s.closed:
        for data, control in docs:
            _deliver(s, data, control, True)


def release(s: "Session") -> None:
    """`s` is gone: drop what waits for it and let go of its state."""
    _turn.waiting.pop(s, None)
    node = s.shorty_out
    if node is not None and node is not ROOT:
        s.shorty_out = ROOT
        leave(node)


def _deliver(s: "Session", data: bytes, control: bool, force: bool, conns: list | None = None) -> bool:
    """Deflate and queue `data` for `s`; False (nothing done) when it must wait for budget."""
    node = s.shorty_out
    assert node is not None
    limit = s.settings.shorty_reset_count
    start = ROOT if needs_reset(node, control, limit) else node
    merge = False
    deflates = control or not cached(start, data)
    t = _turn
    if deflates and conns is not None and t.event is data and t.misses >= MAX_STATES_PER_EVENT \
            and start is not ROOT:
        # many distinct states get this event: but for the largest ones, its recipients join
        # the fresh tree and share one deflate there
        if t.kept is None:
            t.kept = _keep(conns)
        if start not in t.kept:
            merge = True
            start = ROOT
            deflates = not cached(ROOT, data)
    # a deflate for a crowd (the fresh tree, or a state many sessions share) is never put off:
    # it costs each of them little, while waiting would cost each a slow path
    if deflates and not force and (control or (start is not ROOT and start.refs < CROWD)) \
            and not _spend(len(data)):
        return False
    if deflates and not control and t.event is data:
        t.misses += 1
    node, resets, z, frame = step(node, data, control, limit, merge)
    s.shorty_out = node
    if resets:
        s._queue(SHORTY_FRAME, False)
    if frame is None or s.deflate:
        frame = s._frame(f.OP_BINARY, z)
    s.notifier.hub.counters.outbound_compressed_bytes += len(z)
    s._queue(frame, not control)
    return True
