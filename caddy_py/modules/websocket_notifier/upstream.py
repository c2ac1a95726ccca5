"""The backend link of one notifier (PROTOCOL.md §5, §6.7): dial, resume, ping, redial.

Sending never blocks the hub: `send()` appends to a deque that a writer task drains while
connected; while disconnected nothing is queued (the reconnect's `resume` and pending flush,
produced by the hub in `upstream_up`, supersede it).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.modules.websocket_notifier.notifier import Notifier

log_maint = logging.getLogger("http.handlers.websocket_notifier.upstream.maintainer")
log_conn = logging.getLogger("http.handlers.websocket_notifier.upstream.conn")

DIAL_TIMEOUT = 5.0


@dataclass
class LinkSettings:
    recovery_wait: float = 5.0
    ping_interval: float = 54.0
    pong_wait: float = 60.0
    write_wait: float = 10.0
    headers: CIMultiDict[str] = field(default_factory=CIMultiDict)


class UpstreamLink:
    def __init__(self, url: str, settings: LinkSettings, notifier: "Notifier") -> None:
        self.url = url
        self.settings = settings
        self.notifier = notifier
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.connected = asyncio.Event()  # set while a connection is up (tests await it)
        self.dials = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._maintain())

    def send(self, data: bytes) -> None:
        if self.ws is None:
            return
        self._queue.append(data)
        self._wake.set()

    async def close(self) -> None:
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        if self._session is not None:
            await self._session.close()

    # -- life cycle ------------------------------------------------------------------------
    async def _maintain(self) -> None:
        loop = asyncio.get_running_loop()
        self._session = aiohttp.ClientSession(auto_decompress=False)
        next_attempt = loop.time()
        while not self._closed:
            delay = next_attempt - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            next_attempt = loop.time() + self.settings.recovery_wait
            self.dials += 1
            try:
                ws = await asyncio.wait_for(self._session.ws_connect(
                    self.url, headers=self.settings.headers, autoping=False, max_msg_size=0,
                    compress=0, timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=self.settings.write_wait),
                    autoclose=False), DIAL_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - any dial failure means: try again later
                fields = {"upstream": self.url, "error": str(e)}
                log_maint.warning("upstream dial failed", extra={"caddy_fields": fields})
                continue
            log_maint.info("upstream connected", extra={"caddy_fields": {"upstream": self.url}})
            try:
                await self._run(ws)
            finally:
                self.ws = None
                self._queue.clear()
                self.connected.clear()
                self.notifier.upstream_down()
                if not ws.closed:
                    await asyncio.shield(ws.close())
            log_maint.warning("upstream disconnected", extra={"caddy_fields": {"upstream": self.url}})

    async def _run(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._queue.clear()
        self.connected.set()
        self.notifier.upstream_up()  # queues resume + pending subscribes first
        writer = asyncio.get_running_loop().create_task(self._write_loop(ws))
        pinger = asyncio.get_running_loop().create_task(self._ping_loop(ws))
        try:
            await self._read_loop(ws)
        finally:
            writer.cancel()
            pinger.cancel()

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        notifier = self.notifier
        while True:
            try:
                msg = await ws.receive(timeout=self.settings.pong_wait)
            except asyncio.TimeoutError:
                log_conn.warning("upstream silent for pong_wait", extra={"caddy_fields": {"upstream": self.url}})
                return
            t = msg.type
            if t is aiohttp.WSMsgType.TEXT:
                notifier.backend_message(msg.data.encode())
            elif t is aiohttp.WSMsgType.BINARY:
                notifier.backend_message(msg.data)
            elif t is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif t is aiohttp.WSMsgType.PONG:
                continue
            else:  # CLOSE, CLOSING, CLOSED, ERROR
                log_conn.debug("upstream closed", extra={"caddy_fields": {"upstream": self.url, "type": str(t)}})
                return

    async def _write_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        queue = self._queue
        try:
            while True:
                while queue:
                    data = queue.popleft()
                    await asyncio.wait_for(ws.send_frame(data, aiohttp.WSMsgType.TEXT), self.settings.write_wait)
                self._wake.clear()
                await self._wake.wait()
        except asyncio.CancelledError:
            raise
        except Exception as e:  # noqa: BLE001 - a failed write ends this connection
            log_conn.warning("upstream write failed", extra={"caddy_fields": {"upstream": self.url, "error": str(e)}})
            await ws.close()

    async def _ping_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            while True:
                await asyncio.sleep(self.settings.ping_interval)
                await asyncio.wait_for(ws.ping(), self.settings.write_wait)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001
            await ws.close()
