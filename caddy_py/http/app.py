"""The `http` app: every server of `apps.http.servers`, started and stopped together.

Lifecycle (driven by caddy_py.config.runtime): from_json → provision (routes and handlers
loaded) → start (listeners taken from the pool) → activate (new connections come here) →
stop(grace) when replaced.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from caddy_py.config.context import ConfigError, Context
from caddy_py.config.durations import duration_seconds
from caddy_py.config.registry import register
from caddy_py.http.server import HTTPServer


LOG = logging.getLogger("http")


@register("http")
class HTTPApp:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        servers = cfg.get("servers") or {}
        if not isinstance(servers, dict):
            raise ConfigError("http app: servers must be an object")
        self.servers: dict[str, HTTPServer] = {n: HTTPServer(n, s or {}) for n, s in servers.items()}
        grace = duration_seconds(cfg.get("grace_period"), 0.0)
        self.grace: float | None = grace if grace > 0 else None
        seen: dict[str, str] = {}
        for name, srv in self.servers.items():
            for addr in srv.addresses:
                k = addr.key()
                if addr.start_port != 0 and k in seen:
                    raise ConfigError(f"server {name}: listener address repeated: {k} "
                                      f"(already claimed by server '{seen[k]}')")
                seen[k] = name

    @classmethod
    def from_json(cls, cfg: Any, ctx: Context) -> "HTTPApp":
        return cls(cfg or {})

    async def provision(self, ctx: Context) -> None:
        from caddy_py.tls.autohttps import automatic_https  # TLS: policies, redirects, srv.tls

        await automatic_https(self, ctx)
        https_port = int(self.cfg.get("https_port") or 443)
        for name, srv in self.servers.items():
            if srv.tls is None and (srv.cfg.get("tls_connection_policies") is not None or any(
                    a.start_port <= https_port <= a.end_port for a in srv.addresses)):
                LOG.warning("server %s: TLS is not implemented by caddy-py; serving plain HTTP on %s",
                            name, ", ".join(str(a) for a in srv.addresses))
            await srv.provision(ctx)
        try:
            from caddy_py.http import metrics  # owned by the handlers engineer
        except ImportError:
            return
        attach = getattr(metrics, "attach", None)
        if attach is not None:
            for srv in self.servers.values():
                attach(srv, self.cfg.get("metrics"))

    async def start(self) -> None:
        started: list[HTTPServer] = []
        try:
            for srv in self.servers.values():
                await srv.start()
                started.append(srv)
        except BaseException:
            for srv in started:
                await srv.release_listeners()
            raise

    def activate(self) -> None:
        for srv in self.servers.values():
            srv.activate()

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop(self.grace) for s in self.servers.values()))
