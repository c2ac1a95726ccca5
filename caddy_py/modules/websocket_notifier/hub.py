"""The notifier hub: a sans-I/O state machine for one upstream URL (PROTOCOL.md §3–§8, §11).

No asyncio, no sockets, no clock: the owner feeds it inputs (`connect`, `disconnect`,
`subscriber_message`, `backend_message`, `upstream_up`/`upstream_down`, `tick(now)`) and drains
the resulting actions with `take()`. Connections are opaque hashable objects chosen by the
owner. Outbound documents are complete JSON bytes (trailing newline included); an event is
encoded once and handed out as one `Fanout` action carrying the bytes and the recipients.
"""
from __future__ import annotations

import base64
import logging
import re
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, KeysView, NamedTuple

import msgspec

from caddy_py.modules.websocket_notifier import protocol as p

log = logging.getLogger("http.handlers.websocket_notifier.upstream.hub")

HOUSEKEEPING_INTERVAL = 10.0  # seconds; Go's hub ticker (pruning, default retry tick)

# close codes
CLOSE_GOING_AWAY = 1001
CLOSE_INVALID_DATA = 1007
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_TRY_AGAIN = 1013
CLOSE_RESUMED_ELSEWHERE = 4000


# -- actions -------------------------------------------------------------------------------

class Send(NamedTuple):
    """Send one document to one connection. `control` documents are never dropped (§7)."""
    conn: Hashable
    data: bytes
    control: bool = True


class Fanout(NamedTuple):
    """Send the same event document to every connection in `conns` (each exactly once)."""
    data: bytes
    conns: list[Hashable]


class ToBackend(NamedTuple):
    data: bytes


class Close(NamedTuple):
    conn: Hashable
    code: int
    reason: str = ""


Action = Send | Fanout | ToBackend | Close


# -- configuration -------------------------------------------------------------------------

@dataclass
class HubConfig:
    keep_alive: float = 0.0
    max_event_buffer_size: int = 0
    subscribe_retries: int = 0
    subscribe_try_interval: float = 0.0  # fixed at hub creation
    channel_category: list[tuple[str, str]] = field(default_factory=list)  # (regexp, name)
    # resource limits (§11); 0 disables a limit
    max_channels_per_connection: int = 1024
    max_pending_subscribes: int = 64
    max_requests_per_second: float = 100.0
    request_burst: int = 200
    max_connections: int = 0


def new_token() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


# -- state ---------------------------------------------------------------------------------

class Subscription:
    __slots__ = ("token", "conn", "chans", "creds", "last_active", "created_seq", "pending")

    def __init__(self, token: str, created_seq: int) -> None:
        self.token = token
        self.conn: Hashable | None = None
        # the channels held, as dict keys: a dict of str -> None is never tracked by the
        # collector, a set always is (one object less per subscriber in every collection)
        self.chans: dict[str, None] = {}
        self.creds: dict[str, set[str]] = {}
        self.last_active = 0.0
        self.created_seq = created_seq
        self.pending = 0  # outstanding subscribe requests

    @property
    def channels(self) -> KeysView[str]:
        return self.chans.keys()


class Pending:
    __slots__ = ("channels", "credential", "metadata", "tries")

    def __init__(self, channels: list[str], credential: str, metadata: dict[str, str]) -> None:
        self.channels = channels
        self.credential = credential
        self.metadata = metadata
        self.tries = 0


class ConnState:
    __slots__ = ("sub", "metadata", "tokens")

    def __init__(self, metadata: dict[str, str], tokens: float) -> None:
        self.sub: Subscription | None = None
        self.metadata = metadata
        self.tokens = tokens


@dataclass
class Counters:
    """Monotonic counters read by metrics.py at scrape time."""
    event_sent: int = 0
    event_requested: int = 0
    subscribe_requested: int = 0
    throttled: int = 0  # slow consumers closed with 1013 (counted by the session layer)
    resume_recovered: int = 0
    resume_gap: int = 0
    resume_failed: int = 0
    subscribe_timeout: int = 0
    limit_rejects: int = 0
    rate_limited: int = 0
    backend_malformed: int = 0
    inbound_bytes: int = 0
    outbound_bytes: int = 0
    outbound_compressed_bytes: int = 0


class Hub:
    def __init__(self, config: HubConfig | None = None, *, token_factory: Callable[[], str] = new_token,
                 now: float = 0.0) -> None:
        self.config = config or HubConfig()
        self.try_interval = self.config.subscribe_try_interval or HOUSEKEEPING_INTERVAL
        self._new_token = token_factory
        self.now = now
        self._next_housekeeping = now + HOUSEKEEPING_INTERVAL
        self._next_retry = now + self.try_interval
        self.seq = 0
        self.upstream_connected = False
        self.subs: dict[str, Subscription] = {}
        self.conns: dict[Hashable, ConnState] = {}
        self.channels: dict[str, set[Subscription]] = {}
        self.live: dict[str, set[Hashable]] = {}  # channel -> connections receiving it now
        self.cred_subs: dict[str, set[Subscription]] = {}
        self.pending: dict[tuple[str, str], Pending] = {}  # insertion ordered: flush order
        self.buffer: deque[tuple[int, frozenset[str], bytes]] = deque()
        self.category_of: dict[str, str] = {}
        self.categories: dict[str, int] = {name: 0 for _, name in self.config.channel_category}
        self._category_res = [(re.compile(rx), name) for rx, name in self.config.channel_category]
        self.counters = Counters()
        self.actions: list[Action] = []

    # -- owner API -------------------------------------------------------------------------
    def take(self) -> list[Action]:
        """The actions produced since the last call, in order."""
        out, self.actions = self.actions, []
        return out

    def configure(self, config: HubConfig) -> None:
        """Apply a reloaded route's settings (§9/§13.14); the retry interval and categories
        of existing channels stay as they were."""
        config.subscribe_try_interval = self.config.subscribe_try_interval
        self.config = config
        self._category_res = [(re.compile(rx), name) for rx, name in config.channel_category]
        for _, name in config.channel_category:
            self.categories.setdefault(name, 0)
        size = config.max_event_buffer_size
        while len(self.buffer) > size:
            self.buffer.popleft()

    def connect(self, conn: Hashable, metadata: dict[str, str] | None = None) -> bool:
        """Register a subscriber connection; False when `max_connections` is reached."""
        limit = self.config.max_connections
        if limit and len(self.conns) >= limit:
            return False
        self.conns[conn] = ConnState(metadata or {}, float(self.config.request_burst))
        return True

    def disconnect(self, conn: Hashable) -> None:
        state = self.conns.pop(conn, None)
        if state is None or state.sub is None:
            return
        sub = state.sub
        if sub.conn is conn:  # FIX 7: only the owner detaches its subscription
            self._detach(sub)

    def close_all(self, code: int = CLOSE_GOING_AWAY, reason: str = "") -> None:
        """Close every connection (the last route using this upstream went away, FIX 24)."""
        for conn in list(self.conns):
            self.actions.append(Close(conn, code, reason))
            self.disconnect(conn)

    def upstream_up(self) -> None:
        """The backend link is (re)connected: resume first, then every pending subscribe (§6.7)."""
        self.upstream_connected = True
        if self.channels:
            self.actions.append(ToBackend(p.backend_resume(sorted(self.channels))))
        for (token, rid), req in self.pending.items():
            self.actions.append(ToBackend(p.backend_subscribe(token, rid, req.channels, req.credential,
                                                              req.metadata)))

    def upstream_down(self) -> None:
        self.upstream_connected = False

    def tick(self, now: float) -> None:
        """Advance the clock: refill request buckets, run retry and housekeeping ticks."""
        elapsed = now - self.now
        self.now = now
        rate = self.config.max_requests_per_second
        if rate and elapsed > 0:
            burst = float(self.config.request_burst)
            add = rate * elapsed
            for state in self.conns.values():
                if state.tokens < burst:
                    state.tokens = min(burst, state.tokens + add)
        if self.config.subscribe_try_interval:
            while now >= self._next_retry:
                self._next_retry += self.try_interval
                self._retry_tick()
        while now >= self._next_housekeeping:
            self._next_housekeeping += HOUSEKEEPING_INTERVAL
            if not self.config.subscribe_try_interval:
                self._retry_tick()
            self._prune()

    # -- subscriber input ------------------------------------------------------------------
    def subscriber_message(self, conn: Hashable, data: bytes) -> None:
        """One inbound data frame (already inflated) that is not a control word."""
        state = self.conns.get(conn)
        if state is None:
            return
        if self.config.max_requests_per_second:
            if state.tokens < 1:
                self.counters.rate_limited += 1
                self.actions.append(Close(conn, CLOSE_POLICY, "too many requests"))
                self.disconnect(conn)
                return
            state.tokens -= 1
        try:
            req = p.parse_request(data)
        except p.ProtocolError:
            self.actions.append(Close(conn, CLOSE_INVALID_DATA, "invalid request"))
            self.disconnect(conn)
            return
        op = req.operation
        if op == "subscribe":
            self._subscribe(conn, state, req)
        elif op == "unsubscribe":
            self._unsubscribe(state, req.channels)
        elif op == "resume":
            self._resume(conn, state, req)

    def _subscribe(self, conn: Hashable, state: ConnState, req: p.SubscriberRequest) -> None:
        sub = state.sub
        if sub is None:
            sub = Subscription(self._new_token(), self.seq)
            self.subs[sub.token] = sub
            sub.conn = conn
            state.sub = sub
        key = (sub.token, req.request_id)
        if key in self.pending:
            return
        channels = list(req.channels)
        self.counters.subscribe_requested += len(channels)
        limit = self._over_limit(sub, channels)
        if limit:
            log.debug("subscribe refused by a limit", extra={"caddy_fields": {
                "request_id": req.request_id, "channels": len(channels), "limit": limit}})
            self.counters.limit_rejects += 1
            self.actions.append(Send(conn, p.verify(req.request_id, [], channels, limit, sub.token)))
            return
        pending = Pending(channels, req.credential, state.metadata)
        self.pending[key] = pending
        sub.pending += 1
        log.debug("subscribe forwarded" if self.upstream_connected else "subscribe held until the upstream is up",
                  extra={"caddy_fields": {"request_id": req.request_id, "channels": len(channels)}})
        if self.upstream_connected:
            self.actions.append(ToBackend(p.backend_subscribe(sub.token, req.request_id, channels,
                                                              req.credential, state.metadata)))

    def _over_limit(self, sub: Subscription, channels: list[str]) -> str:
        cfg = self.config
        if cfg.max_pending_subscribes and sub.pending >= cfg.max_pending_subscribes:
            return "max_pending_subscribes exceeded"
        if cfg.max_channels_per_connection:
            new = len(set(channels).difference(sub.chans))
            if len(sub.chans) + new > cfg.max_channels_per_connection:
                return "max_channels_per_connection exceeded"
        return ""

    def _unsubscribe(self, state: ConnState, channels: tuple[str, ...]) -> None:
        sub = state.sub
        if sub is None:
            return
        emptied: list[str] = []
        for ch in channels:
            if ch in sub.chans:
                self._remove_channel(sub, ch, emptied)
                for cred in list(sub.creds):  # FIX 9
                    chans = sub.creds[cred]
                    chans.discard(ch)
                    if not chans:
                        self._drop_cred(sub, cred)
        self._send_unsubscribe(emptied)

    def _resume(self, conn: Hashable, state: ConnState, req: p.SubscriberRequest) -> None:
        sub = self.subs.get(req.resume_token) if req.resume_token else None
        if sub is None or (state.sub is not None and state.sub is not sub):
            log.debug("resume failed", extra={"caddy_fields": {"known": sub is not None}})
            self.counters.resume_failed += 1
            self.actions.append(Send(conn, p.RESUME_FAILED))
            return
        if sub.conn is not None and sub.conn is not conn:  # FIX 5: detach, then close 4000
            old = sub.conn
            old_state = self.conns.get(old)
            if old_state is not None:
                old_state.sub = None
            self._detach(sub)
            self.conns.pop(old, None)  # its later close event is a no-op (FIX 7)
            self.actions.append(Close(old, CLOSE_RESUMED_ELSEWHERE, "resumed elsewhere"))
        if sub.conn is None:
            self._attach(sub, conn)
        state.sub = sub
        pos = max(req.seq, sub.created_seq)
        buf = self.buffer
        recovered = self.seq <= pos or (bool(buf) and buf[0][0] <= pos + 1)
        if recovered:
            self.counters.resume_recovered += 1
        else:
            self.counters.resume_gap += 1
            fields = {"seq": req.seq, "oldest": buf[0][0] if buf else None, "current": self.seq}
            log.info("resume with a gap", extra={"caddy_fields": fields})
        self.actions.append(Send(conn, p.resume_success(sorted(sub.chans), recovered)))
        chans = sub.chans.keys()
        sent = 0
        for seq, evchans, data in buf:
            if seq > pos and not chans.isdisjoint(evchans):
                self.actions.append(Send(conn, data, False))
                sent += 1
        self.counters.event_sent += sent
        log.debug("resumed", extra={"caddy_fields": {"recovered": recovered, "replayed": sent,
                                                     "channels": len(chans)}})

    # -- backend input ---------------------------------------------------------------------
    def backend_message(self, data: bytes) -> None:
        try:
            msg = p.parse_backend(data)
            op = msg.operation
            if op == "event":
                self._event(msg)
            elif op == "verify":
                self._verify(msg)
            elif op == "deauthorize":
                self._deauthorize(msg.credential or "")
        except (msgspec.DecodeError, ValueError) as e:  # FIX 18b: skip, keep the link
            self.counters.backend_malformed += 1
            log.warning("malformed backend message", extra={"caddy_fields": {"error": str(e)}})

    def _event(self, msg: p.BackendMessage) -> None:
        self.seq += 1
        self.counters.event_requested += 1
        channels = p.strs(msg.channels)
        raw = bytes(msg.payload)
        payload = p.compact_raw(raw) if raw else b""
        data = p.event(p.event_prefix(channels, payload), self.seq)
        size = self.config.max_event_buffer_size
        if size > 0:
            self.buffer.append((self.seq, frozenset(channels), data))
            if len(self.buffer) > size:
                self.buffer.popleft()
        live = self.live
        if len(channels) == 1:
            conns = live.get(channels[0])
            recipients = list(conns) if conns else []
        else:
            seen: set[Hashable] = set()
            for ch in channels:
                conns = live.get(ch)
                if conns:
                    seen |= conns
            recipients = list(seen)
        if recipients:
            self.counters.event_sent += len(recipients)
            self.actions.append(Fanout(data, recipients))

    def _verify(self, msg: p.BackendMessage) -> None:
        token = msg.subscription_id or ""
        rid = msg.request_id or ""
        req = self.pending.pop((token, rid), None)
        if req is None:
            return
        sub = self.subs.get(token)
        if sub is None:
            return
        sub.pending -= 1
        accept = p.strs(msg.accept)
        log.debug("verify", extra={"caddy_fields": {"request_id": rid, "accept": len(accept),
                                                    "reject": len(p.strs(msg.reject)), "attached": sub.conn is not None}})
        for ch in accept:
            self._add_channel(sub, ch, req.credential)
        if sub.conn is not None:
            self.actions.append(Send(sub.conn, p.verify(rid, accept, p.strs(msg.reject), msg.message or "",
                                                        token)))

    def _deauthorize(self, cred: str) -> None:
        emptied: list[str] = []
        subs = list(self.cred_subs.get(cred, ()))
        for sub in subs:
            chans = sub.creds.get(cred, set())
            self._drop_cred(sub, cred)
            covered: set[str] = set()
            for other in sub.creds.values():
                covered |= other
            removed = sorted(ch for ch in chans if ch not in covered and ch in sub.chans)
            for ch in removed:
                self._remove_channel(sub, ch, emptied)
            if removed and sub.conn is not None:
                self.actions.append(Send(sub.conn, p.unsubscribed(removed)))
        log.debug("deauthorize", extra={"caddy_fields": {"subscriptions": len(subs), "channels_emptied": len(emptied)}})
        self._send_unsubscribe(emptied)

    # -- ticks -----------------------------------------------------------------------------
    def _retry_tick(self) -> None:
        r = self.config.subscribe_retries
        expired: list[tuple[str, str]] = []
        for key, req in self.pending.items():
            req.tries += 1
            if req.tries > 2 * r + 2:
                expired.append(key)
            elif 2 <= req.tries <= r + 1 and self.upstream_connected:
                self.actions.append(ToBackend(p.backend_subscribe(key[0], key[1], req.channels,
                                                                  req.credential, req.metadata)))
        for token, rid in expired:
            req = self.pending.pop((token, rid))
            self.counters.subscribe_timeout += 1
            log.debug("subscribe timed out", extra={"caddy_fields": {"request_id": rid, "channels": len(req.channels)}})
            sub = self.subs.get(token)
            if sub is None:
                continue
            sub.pending -= 1
            if sub.conn is not None:  # FIX 12
                self.actions.append(Send(sub.conn, p.verify(rid, [], req.channels, "timeout", token)))

    def _prune(self) -> None:
        keep = self.config.keep_alive
        for sub in [s for s in self.subs.values() if s.conn is None and self.now - s.last_active >= keep]:
            log.debug("detached subscription expired", extra={"caddy_fields": {"channels": len(sub.chans)}})
            del self.subs[sub.token]
            if sub.pending:  # FIX 13
                for key in [k for k in self.pending if k[0] == sub.token]:
                    del self.pending[key]
            emptied: list[str] = []
            for ch in list(sub.chans):
                self._remove_channel(sub, ch, emptied)
            for cred in list(sub.creds):
                self._drop_cred(sub, cred)
            self._send_unsubscribe(emptied)

    # -- helpers ---------------------------------------------------------------------------
    def _attach(self, sub: Subscription, conn: Hashable) -> None:
        sub.conn = conn
        live = self.live
        for ch in sub.chans:
            live[ch].add(conn)

    def _detach(self, sub: Subscription) -> None:
        conn = sub.conn
        sub.conn = None
        sub.last_active = self.now
        live = self.live
        for ch in sub.chans:
            live[ch].discard(conn)

    def _add_channel(self, sub: Subscription, ch: str, cred: str) -> None:
        sub.creds.setdefault(cred, set()).add(ch)
        self.cred_subs.setdefault(cred, set()).add(sub)
        if ch in sub.chans:
            return
        sub.chans[ch] = None
        subs = self.channels.get(ch)
        if subs is None:
            subs = self.channels[ch] = set()
            self.live[ch] = set()
            for rx, name in self._category_res:
                if rx.search(ch):
                    self.category_of[ch] = name
                    break
        subs.add(sub)
        if sub.conn is not None:
            self.live[ch].add(sub.conn)
        cat = self.category_of.get(ch)
        if cat is not None:
            self.categories[cat] = self.categories.get(cat, 0) + 1

    def _remove_channel(self, sub: Subscription, ch: str, emptied: list[str]) -> None:
        sub.chans.pop(ch, None)
        subs = self.channels[ch]
        subs.discard(sub)
        if sub.conn is not None:
            self.live[ch].discard(sub.conn)
        cat = self.category_of.get(ch)
        if cat is not None:
            self.categories[cat] -= 1
        if not subs:
            del self.channels[ch]
            del self.live[ch]
            self.category_of.pop(ch, None)
            emptied.append(ch)

    def _drop_cred(self, sub: Subscription, cred: str) -> None:
        sub.creds.pop(cred, None)
        subs = self.cred_subs.get(cred)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.cred_subs[cred]

    def _send_unsubscribe(self, emptied: list[str]) -> None:
        if emptied and self.upstream_connected:
            self.actions.append(ToBackend(p.backend_unsubscribe(emptied)))

    # -- introspection for metrics ---------------------------------------------------------
    def gauges(self) -> dict[str, Any]:
        return {
            "active_connection": len(self.conns),
            "active_subscription": len(self.subs),
            "channel_count": len(self.channels),
            "upstream_healthy": 1 if self.upstream_connected else 0,
            "subscriber_count": dict(self.categories),
        }
