"""The running notifier for one upstream URL: hub + subscriber sessions + backend link.

It is the value kept in the usage pool (shared by every route naming the URL). It feeds the
hub, carries out the hub's actions, flushes dirty sessions once per event-loop turn, and runs
the single scheduler that ticks the hub and the sessions' ping/read/write deadlines.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Hashable

from caddy_py.modules.websocket_notifier import frames as f
from caddy_py.config.gcfreeze import POLICY as GC_POLICY
from caddy_py.modules.websocket_notifier import shorty_shared
from caddy_py.modules.websocket_notifier.hub import Close, Fanout, Hub, HubConfig, Send, ToBackend
from caddy_py.modules.websocket_notifier.session import Session
from caddy_py.modules.websocket_notifier.upstream import LinkSettings, UpstreamLink

log = logging.getLogger("http.handlers.websocket_notifier.upstream")


class Notifier:
    def __init__(self, url: str, hub_config: HubConfig, link: LinkSettings, chan_size: int = 16) -> None:
        self.url = url
        self.chan_size = chan_size  # fixed for the hub's life, like Go's channel sizes
        self.loop = asyncio.get_running_loop()
        self.clock_offset = 0.0  # tests move the hub's clock forward without sleeping
        self.now = self.loop.time()
        self.hub = Hub(hub_config, now=self.now)
        self.sessions: set[Session] = set()
        self.dirty: list[Session] = []
        self._flush_scheduled = False
        self.granularity = 1.0
        self.link = UpstreamLink(url, link, self)
        self._timer: asyncio.Task[None] | None = None
        self.closed = False

    async def start(self) -> None:
        """First dial happens now, when the config starts (§13.10)."""
        self.link.start()
        self._timer = self.loop.create_task(self._scheduler())

    def configure(self, hub_config: HubConfig, link: LinkSettings) -> None:
        """A reloaded route's settings apply at once (§13.14)."""
        self.hub.configure(hub_config)
        self.link.settings = link
        self.apply()

    def want_granularity(self, seconds: float) -> None:
        self.granularity = max(0.01, min(self.granularity, seconds))

    # -- inputs ----------------------------------------------------------------------------
    def has_room(self) -> bool:
        limit = self.hub.config.max_connections
        return not limit or len(self.hub.conns) < limit

    def join(self, session: Session, metadata: dict[str, str]) -> bool:
        if not self.hub.connect(session, metadata):
            return False
        self.sessions.add(session)
        self.want_granularity(min(session.settings.ping_interval, session.settings.pong_wait) / 4)
        GC_POLICY.joined()
        return True

    def leave(self, session: Session) -> None:
        hub = self.hub
        if session in hub.conns:
            hub.disconnect(session)
            self.apply()
        if session.closed and session in self.sessions:  # its connection is gone (connection_lost)
            self.sessions.discard(session)
            GC_POLICY.left()

    def subscriber_message(self, session: Session, data: bytes) -> None:
        self.hub.subscriber_message(session, data)
        self.apply()

    def backend_message(self, data: bytes) -> None:
        self.hub.backend_message(data)
        self.apply()

    def upstream_up(self) -> None:
        self.hub.upstream_up()
        self.apply()

    def upstream_down(self) -> None:
        self.hub.upstream_down()

    def tick(self) -> None:
        """Advance the hub and the sessions' deadlines to the current (offset) time."""
        self.now = self.loop.time() + self.clock_offset
        self.hub.tick(self.now)
        self.apply()
        now = self.now
        for s in list(self.sessions):
            s.on_timer(now)
        GC_POLICY.tick(self.loop.time())

    # -- outputs ---------------------------------------------------------------------------
    def apply(self) -> None:
        actions = self.hub.take()
        for a in actions:
            kind = type(a)
            if kind is Fanout:
                self._fanout(a.data, a.conns)  # type: ignore[union-attr]
            elif kind is Send:
                a.conn.send_doc(a.data, a.control)  # type: ignore[union-attr]
            elif kind is ToBackend:
                self.link.send(a.data)  # type: ignore[union-attr]
            elif kind is Close:
                a.conn.close(a.code, a.reason)  # type: ignore[union-attr]

    def _fanout(self, data: bytes, conns: list[Hashable]) -> None:
        """The hot path: one frame for every plain connection, appended without calls."""
        frame = f.build(f.OP_TEXT, data)
        zframe: bytes | None = None
        dirty = self.dirty
        was_clean = not dirty
        plain = 0
        zbytes = 0
        # shorty: sessions in one tree state come in runs; `moved` of them went from `last` to
        # its child for this event, and the reference counts are settled once per run
        waiting = shorty_shared.fanout(data)
        last = hit = None
        moved = 0
        for c in conns:
            if c.plain:  # type: ignore[attr-defined]
                if c.closing:  # type: ignore[attr-defined]
                    continue
                out = c.out  # type: ignore[attr-defined]
                if not out:
                    dirty.append(c)  # type: ignore[arg-type]
                out.append(frame)
                c.has_event = True  # type: ignore[attr-defined]
                plain += 1
            elif (node := c.shorty_out) is None:  # type: ignore[attr-defined]
                # permessage-deflate only: same bytes for everyone
                if zframe is None:
                    zframe = f.build(f.OP_TEXT, f.deflate_message(data), rsv1=True)
                c.queue_shared(zframe)  # type: ignore[attr-defined]
                plain += 1
            else:  # shorty: take the frame the session's tree state already made for this event
                if node is not last:
                    if moved:
                        zbytes += shorty_shared.settle(last, hit, moved)  # type: ignore[arg-type]
                        plain += moved
                        moved = 0
                    last = node
                    hit = node.next.get(data)
                    if hit is not None:
                        sframe, child = hit[0], hit[2]
                lim = c.settings.shorty_reset_count  # type: ignore[attr-defined]
                if hit is None or c.closing or c.deflate or (lim and node.count > lim) \
                        or (waiting and c in waiting):  # type: ignore[attr-defined]
                    if moved:
                        zbytes += shorty_shared.settle(last, hit, moved)  # type: ignore[arg-type]
                        plain += moved
                        moved = 0
                    last = None  # the session may deflate and change its state's cache
                    shorty_shared.send_event(c, data, conns)  # type: ignore[arg-type]
                    continue
                c.shorty_out = child  # type: ignore[attr-defined]
                moved += 1
                out = c.out  # type: ignore[attr-defined]
                if not out:
                    dirty.append(c)  # type: ignore[arg-type]
                out.append(sframe)
                c.has_event = True  # type: ignore[attr-defined]
        if moved:
            zbytes += shorty_shared.settle(last, hit, moved)  # type: ignore[arg-type]
            plain += moved
        if was_clean and dirty:
            self.schedule_flush()
        counters = self.hub.counters
        counters.outbound_bytes += len(data) * plain
        counters.outbound_compressed_bytes += zbytes

    def schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        dirty, self.dirty = self.dirty, []
        for s in dirty:
            s.flush()

    async def _scheduler(self) -> None:
        while True:
            await asyncio.sleep(self.granularity)
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the scheduler must survive a bad tick
                log.exception("notifier tick failed")

    # -- teardown --------------------------------------------------------------------------
    async def destruct(self) -> None:
        """The last route using this upstream is gone: close subscribers 1001, then the link."""
        self.closed = True
        self.hub.close_all(1001, "")
        self.apply()
        self._flush()
        if self._timer is not None:
            self._timer.cancel()
        # sockets whose close frame cannot be flushed are aborted after write_wait
        remaining = list(self.sessions)
        if remaining:
            wait = max(s.settings.write_wait for s in remaining)
            self.loop.call_later(wait, lambda: [s.transport.abort() for s in remaining if not s.closed])
        await self.link.close()

    def stats(self) -> dict[str, Any]:
        return self.hub.gauges()
