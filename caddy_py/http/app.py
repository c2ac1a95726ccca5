"""The `http` app: every server of `apps.http.servers`, started and stopped together.

Lifecycle (driven by caddy_py.config.runtime): from_json → provision (routes and handlers
loaded) → start (listeners taken from the pool) → activate (new connections come here) →
stop(grace) when replaced.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from caddy_py.config.context import ConfigError, Context, check_fields
from caddy_py.config.durations import duration_seconds
from caddy_py.config.registry import register
from caddy_py.http.server import HTTPServer


LOG = logging.getLogger("http")


SERVER_FIELDS = frozenset((
    "listen listener_wrappers packet_conn_wrappers read_timeout read_header_timeout "
    "read_idle_timeout read_min_rate write_timeout write_idle_timeout write_min_rate "
    "max_write_chunk idle_timeout keepalive_interval keepalive_idle keepalive_count "
    "max_header_bytes enable_full_duplex expected_underscore_headers expected_dot_headers routes "
    "errors named_routes tls_connection_policies automatic_https strict_sni_host trusted_proxies "
    "client_ip_headers trusted_proxies_strict trusted_proxies_unix logs protocols "
    "listen_protocols allow_0rtt metrics").split())
ROUTE_FIELDS = frozenset(("group", "match", "handle", "terminal"))


def _check_server(cfg: Any) -> None:
    """Caddy decodes servers and their routes with the app: unknown keys fail as the app's."""
    check_fields("http", cfg, SERVER_FIELDS)
    if not isinstance(cfg, dict):
        return
    routes = list(cfg.get("routes") or []) + list((cfg.get("errors") or {}).get("routes") or [])
    routes += list((cfg.get("named_routes") or {}).values())
    check_fields("http", cfg.get("errors"), {"routes"})
    for r in routes:
        check_fields("http", r, ROUTE_FIELDS)


@register("http")
class HTTPApp:
    JSON_FIELDS = frozenset(("http_port", "https_port", "grace_period", "shutdown_delay", "servers", "metrics"))

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        servers = cfg.get("servers") or {}
        if not isinstance(servers, dict):
            raise ConfigError("http app: servers must be an object")
        for srv_cfg in servers.values():
            _check_server(srv_cfg)
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
