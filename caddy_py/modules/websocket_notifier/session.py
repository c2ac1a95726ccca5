"""One subscriber WebSocket on a bare asyncio Protocol (PROTOCOL.md §2).

The session only moves bytes: it parses frames, answers the control words, (de)compresses,
and hands JSON requests to the hub through its Notifier. Outbound frames are gathered per
event-loop turn and written with one `transport.write` (the Notifier flushes every dirty
session in one callback); timers are not per connection either: the Notifier's scheduler
calls `on_timer(now)` on every session.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caddy_py.modules.websocket_notifier import frames as f
from caddy_py.modules.websocket_notifier import shorty_shared
from caddy_py.modules.websocket_notifier.shorty import Shorty

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.modules.websocket_notifier.notifier import Notifier

log = logging.getLogger("http.handlers.websocket_notifier.subscriber")

_PONG_FRAME = f.build(f.OP_TEXT, b"pong")
_PING_FRAME = f.build(f.OP_PING)
_TEXT_PING_FRAME = f.build(f.OP_TEXT, b"ping")
_SHORTY_FRAME = f.build(f.OP_TEXT, b"shorty")


@dataclass(frozen=True)
class SessionSettings:
    """Per-route link settings (effective values, seconds)."""
    write_wait: float = 10.0
    pong_wait: float = 60.0
    ping_interval: float = 54.0
    max_message_size: int = 256 * 1024
    chan_size: int = 16
    shorty_reset_count: int = 0
    ping_text: bool = False
    deflate: bool = False


class Session(asyncio.Protocol):
    __slots__ = ("notifier", "settings", "transport", "reader", "plain", "deflate", "shorty_out",
                 "shorty_in", "out", "has_event", "backlog", "last_read", "next_ping",
                 "closing", "closed", "close_deadline", "stuck_since", "peer")

    def __init__(self, notifier: "Notifier", settings: SessionSettings, shorty: bool) -> None:
        self.notifier = notifier
        self.settings = settings
        self.transport: Any = None
        self.reader = f.FrameReader(settings.max_message_size, settings.deflate)
        self.deflate = settings.deflate
        # outbound tree state, shared with the sessions whose trees are equal (shorty_shared)
        self.shorty_out = shorty_shared.ROOT if shorty else None
        self.plain = not shorty and not settings.deflate  # can take shared event frames as is
        self.shorty_in: Shorty | None = None
        self.out: list[bytes] = []
        self.has_event = False
        self.backlog = 0
        now = notifier.now
        self.last_read = now
        self.next_ping = now + settings.ping_interval
        self.closing = False
        self.closed = False
        self.close_deadline = 0.0
        self.stuck_since = 0.0
        self.peer = ""

    # -- asyncio.Protocol ------------------------------------------------------------------
    def start(self, transport: Any) -> None:
        """Adopt an upgraded transport; then feed it the bytes read after the handshake."""
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else ""
        log.debug("subscriber connected", extra={"caddy_fields": {"remote": self.peer,
                                                                 "shorty": self.shorty_out is not None}})
        if self.shorty_out is not None:
            self._queue(_SHORTY_FRAME, False)

    def connection_made(self, transport: Any) -> None:  # pragma: no cover - adopted, see start()
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        try:
            messages = self.reader.feed(data)
        except f.FrameError as e:
            log.debug("protocol error", extra={"caddy_fields": {"remote": self.peer, "error": e.reason}})
            self.close(e.code, e.reason)
            return
        notifier = self.notifier
        for op, payload in messages:
            if self.closing:
                if op == f.OP_CLOSE:
                    self._finish()
                    return
                continue
            if op == f.OP_TEXT or op == f.OP_BINARY:
                now = notifier.now
                self.last_read = now
                self.next_ping = now + self.settings.ping_interval
                notifier.hub.counters.inbound_bytes += len(payload)
                if op == f.OP_TEXT and len(payload) <= 6:
                    if payload == b"ping":  # FIX 17/19: text only, never blocks
                        out = self.out
                        if not out or out[-1] is not _PONG_FRAME:  # a burst of pings: one pong
                            self._queue(_PONG_FRAME, False)
                        continue
                    if payload == b"pong":
                        continue
                    if payload == b"shorty":
                        if self.shorty_in is None:
                            self.shorty_in = Shorty()
                        else:
                            self.shorty_in.reset()
                        continue
                if op == f.OP_BINARY and self.shorty_in is not None:
                    payload = self.shorty_in.inflate(payload)
                    limit = self.settings.max_message_size
                    if limit and len(payload) > limit:  # FIX 20
                        self.close(1009, "message too big")
                        return
                notifier.subscriber_message(self, payload)
            elif op == f.OP_PING:
                self._queue(f.build(f.OP_PONG, payload), False)
            elif op == f.OP_PONG:
                self.last_read = notifier.now
            elif op == f.OP_CLOSE:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1000
                self._leave_hub()
                self._flush_now()
                self._write(f.build(f.OP_CLOSE, f.close_payload(code) if len(payload) >= 2 else b""))
                self._finish()
                return
            if self.closed or self.closing:
                return

    def connection_lost(self, exc: BaseException | None) -> None:
        self.closed = True
        log.debug("subscriber disconnected", extra={"caddy_fields": {"remote": self.peer}})
        self.out.clear()
        self._leave_hub()  # Notifier.leave also forgets the closed session (and tells the GC policy)
        if self.shorty_out is not None:
            shorty_shared.release(self)

    def pause_writing(self) -> None:
        pass

    def resume_writing(self) -> None:
        pass

    def eof_received(self) -> bool | None:
        return None

    # -- outbound --------------------------------------------------------------------------
    def send_doc(self, data: bytes, control: bool = True) -> None:
        """Queue one JSON document (plain text, or shorty-deflated binary)."""
        if self.closing:
            return
        counters = self.notifier.hub.counters
        counters.outbound_bytes += len(data)
        if self.shorty_out is None:
            self._queue(self._frame(f.OP_TEXT, data), not control)
        else:
            shorty_shared.send(self, data, control)

    def queue_shared(self, frame: bytes) -> None:
        """Queue an event frame built once for every plain connection of a fan-out."""
        if self.closing:
            return
        out = self.out
        if not out:
            self.notifier.dirty.append(self)
            self.notifier.schedule_flush()
        out.append(frame)
        self.has_event = True

    def _frame(self, op: int, payload: bytes) -> bytes:
        if self.deflate:
            return f.build(op, f.deflate_message(payload), rsv1=True)
        return f.build(op, payload)

    def _queue(self, frame: bytes, is_event: bool) -> None:
        out = self.out
        if not out:
            self.notifier.dirty.append(self)
            self.notifier.schedule_flush()
        out.append(frame)
        if is_event:
            self.has_event = True

    def flush(self) -> None:
        """Write everything queued this turn at once; detect slow consumers (§13.6)."""
        out = self.out
        t = self.transport
        if not out or self.closed or t.is_closing():
            out.clear()
            return
        n = len(out)
        data = out[0] if n == 1 else b"".join(out)
        out.clear()
        had_event, self.has_event = self.has_event, False
        if t.get_write_buffer_size() == 0:
            self.backlog = 0
        t.write(data)
        if t.get_write_buffer_size() == 0:
            self.stuck_since = 0.0
            return
        if not self.stuck_since:
            self.stuck_since = self.notifier.now
        self.backlog += n
        if had_event and self.backlog > self.settings.chan_size and not self.closing:
            self.notifier.hub.counters.throttled += 1
            log.info("slow consumer closed", extra={"caddy_fields": {"remote": self.peer, "backlog": self.backlog}})
            self.close(1013, "slow consumer")

    def _flush_now(self) -> None:
        if self.shorty_out is not None:  # documents waiting for deflate budget go first
            shorty_shared.drain(self)
        if self.out:
            self.flush()

    def _write(self, data: bytes) -> None:
        if not self.closed and not self.transport.is_closing():
            self.transport.write(data)

    # -- closing ---------------------------------------------------------------------------
    def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake; abort the TCP connection if it does not end in time."""
        if self.closing or self.closed:
            return
        log.debug("closing subscriber", extra={"caddy_fields": {"remote": self.peer, "code": code, "reason": reason}})
        self._leave_hub()
        self._flush_now()
        self.closing = True
        self._write(f.build(f.OP_CLOSE, f.close_payload(code, reason)))
        self.close_deadline = self.notifier.now + self.settings.write_wait
        if code == 1001:  # going away: do not wait for the peer (§13.5)
            self._finish()

    def _finish(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _leave_hub(self) -> None:
        self.notifier.leave(self)

    # -- timers (called by the Notifier's scheduler) ---------------------------------------
    def on_timer(self, now: float) -> None:
        s = self.settings
        t = self.transport
        if self.closing:
            if now >= self.close_deadline and t is not None:
                t.abort()
            return
        if now - self.last_read >= s.pong_wait:
            log.debug("read deadline passed", extra={"caddy_fields": {"remote": self.peer}})
            self.close(1001, "")
            return
        if self.stuck_since:
            if t.get_write_buffer_size() == 0:
                self.stuck_since = 0.0
                self.backlog = 0
            elif now - self.stuck_since >= s.write_wait:
                log.debug("write timeout", extra={"caddy_fields": {"remote": self.peer}})
                t.abort()
                return
        if now >= self.next_ping:
            self.next_ping = now + s.ping_interval
            self._queue(_PING_FRAME, False)
            if s.ping_text:
                self._queue(_TEXT_PING_FRAME, False)
