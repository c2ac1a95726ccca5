"""`http.handlers.timeouts`: idle read/write deadlines for the requests of one route (Caddy's
timeouts.Timeouts; the mechanics are in deadlines.py).

`read_timeout` bounds each wait for request body bytes (reset by every read, or a minimum
average rate with `read_min_rate`); `write_timeout` bounds each wait for the client to take
response bytes (`write_min_rate`, `max_write_chunk` likewise). With neither set it passes through.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from aiohttp.http import HttpVersion11

from caddy_py.config.context import ConfigError
from caddy_py.config.durations import duration_seconds
from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.timeouts.deadlines import IdleDeadline, IdleTimeoutBody, bound_writes


def _int(cfg: dict[str, Any], key: str) -> int:
    value = cfg.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"timeouts: {key} must be a number")
    return int(value)


@register("http.handlers.timeouts")
class Timeouts:
    def __init__(self, read_timeout: float, read_min_rate: int, write_timeout: float,
                 write_min_rate: int, max_write_chunk: int) -> None:
        self.read_timeout = read_timeout
        self.read_min_rate = read_min_rate
        self.write_timeout = write_timeout
        self.write_min_rate = write_min_rate
        self.max_write_chunk = max_write_chunk

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Timeouts":
        cfg = cfg or {}
        return cls(duration_seconds(cfg.get("read_timeout")), _int(cfg, "read_min_rate"),
                   duration_seconds(cfg.get("write_timeout")), _int(cfg, "write_min_rate"),
                   _int(cfg, "max_write_chunk"))

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.read_timeout <= 0 and self.write_timeout <= 0:
            return await next(req)
        raw = req.raw
        start = asyncio.get_running_loop().time()
        if self.read_timeout > 0 and raw.body_exists:
            body = IdleTimeoutBody(raw._payload, IdleDeadline(start, self.read_timeout, self.read_min_rate))
            raw._payload = body  # aiohttp's body stream: raw.content, raw.read() and friends

            def close_after_timeout(resp: web.StreamResponse) -> None:
                if body.timed_out:  # the connection's reads are past their deadline: Go closes it
                    resp.force_close()
                    raw.protocol._lingering_time = 0.0  # no draining of the rest of the body
                    if raw.version == HttpVersion11:
                        resp.headers["Connection"] = "close"

            req.on_prepare.append(close_after_timeout)
        if self.write_timeout > 0:
            bound_writes(raw._payload_writer, IdleDeadline(start, self.write_timeout, self.write_min_rate),
                         self.max_write_chunk)
        return await next(req)
