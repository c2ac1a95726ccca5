"""Health checks. Passive: failures counted on the shared Host and forgotten after
fail_duration. Active: a background task per handler probing each upstream every `interval`
(first round right away), marking it unhealthy after `fails` bad probes and healthy again
after `passes` good ones.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from caddy_py.config.durations import duration_seconds as seconds

from .dialinfo import parse_dial
from .header_ops import status_matches
from .hosts import Upstream

log = logging.getLogger("http.handlers.reverse_proxy.health_checker.active")


@dataclass
class PassivePolicy:
    fail_duration: float = 0.0
    max_fails: int = 1
    unhealthy_request_count: int = 0
    unhealthy_status: list[int] = field(default_factory=list)
    unhealthy_latency: float = 0.0

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "PassivePolicy | None":
        if cfg is None:
            return None
        return cls(seconds(cfg.get("fail_duration")), int(cfg.get("max_fails") or 1),
                   int(cfg.get("unhealthy_request_count") or 0),
                   [int(s) for s in cfg.get("unhealthy_status") or []],
                   seconds(cfg.get("unhealthy_latency")))


class ActiveHealthChecker:
    def __init__(self, cfg: dict[str, Any], transport: Any) -> None:
        self.uri = str(cfg.get("uri") or cfg.get("path") or "")
        self.upstream_override = str(cfg.get("upstream") or "")
        self.port = int(cfg.get("port") or 0)
        self.headers: dict[str, list[str]] = dict(cfg.get("headers") or {})
        self.method = str(cfg.get("method") or "GET")
        self.body = str(cfg.get("body") or "")
        self.follow_redirects = bool(cfg.get("follow_redirects"))
        self.interval = seconds(cfg.get("interval"), 30.0)
        self.timeout = seconds(cfg.get("timeout"), 5.0)
        self.passes = int(cfg.get("passes") or 1)
        self.fails = int(cfg.get("fails") or 1)
        self.max_size = int(cfg.get("max_size") or 0)
        self.expect_status = int(cfg.get("expect_status") or 0)
        self.expect_body = re.compile(cfg["expect_body"]) if cfg.get("expect_body") else None
        self.transport = transport
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.rounds = 0
        self.round_done = asyncio.Event()

    @classmethod
    def from_json(cls, cfg: dict[str, Any], transport: Any) -> "ActiveHealthChecker":
        return cls(cfg, transport)

    @property
    def enabled(self) -> bool:
        return bool(self.uri or self.port or self.upstream_override)

    def start(self, upstreams: list[Upstream]) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(upstreams))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass
        if self._session is not None:
            await self._session.close()

    async def _run(self, upstreams: list[Upstream]) -> None:
        while True:
            await asyncio.gather(*(self._check(u) for u in upstreams))
            self.rounds += 1
            self.round_done.set()
            self.round_done = asyncio.Event()
            await asyncio.sleep(self.interval)

    def _url(self, up: Upstream) -> tuple[str, str]:
        target = self.upstream_override or up.dial
        di = parse_dial(target)
        port = str(self.port) if self.port else di.port
        host = f"[{di.host}]" if ":" in di.host else di.connect_host
        return f"{self.transport.scheme}://{host}:{port}{self.uri or '/'}", di.unix_path

    async def _check(self, up: Upstream) -> None:
        try:
            url, unix = self._url(up)
            ok = await self._probe(url, unix)
        except Exception as e:  # noqa: BLE001 - any failure is an unhealthy probe
            log.info("HTTP request failed", extra={"host": up.dial, "error": str(e)})
            ok = False
        if ok:
            up.active_fails = 0
            up.active_passes += 1
            if up.unhealthy and up.active_passes >= self.passes:
                up.unhealthy = False
                up.active_passes = 0
                log.info("host is up", extra={"host": up.dial})
        else:
            up.active_passes = 0
            up.active_fails += 1
            if not up.unhealthy and up.active_fails >= self.fails:
                up.unhealthy = True
                up.active_fails = 0
                log.info("host is down", extra={"host": up.dial})

    async def _probe(self, url: str, unix: str) -> bool:
        if self._session is None or self._session.closed:
            conn: aiohttp.BaseConnector = (aiohttp.UnixConnector(path=unix) if unix else
                                           aiohttp.TCPConnector(ssl=self.transport.ssl or False))
            self._session = aiohttp.ClientSession(connector=conn, cookie_jar=aiohttp.DummyCookieJar())
        # what Go's http.Client sends unless the config says otherwise
        headers = {"User-Agent": "Go-http-client/1.1", "Accept-Encoding": "gzip"}
        headers.update({k: ",".join(v) for k, v in self.headers.items()})
        async with asyncio.timeout(self.timeout):
            async with self._session.request(self.method, url, headers=headers,
                                             data=self.body.encode() or None,
                                             allow_redirects=self.follow_redirects) as r:
                if self.expect_status:
                    if not status_matches(r.status, self.expect_status):
                        return False
                elif r.status < 200 or r.status >= 300:
                    return False
                if self.expect_body is not None:
                    data = await (r.content.read(self.max_size) if self.max_size else r.read())
                    if not self.expect_body.search(data.decode("utf-8", "replace")):
                        return False
        return True
