"""One HTTP server of `apps.http.servers`: its listeners, routes and error routes.

Per request: Go's early rejections (HTTP/1.1 without Host → 400, `OPTIONS *` → 200 without
`Server`), headers with `_` or `.` in their names dropped (Caddy 2.11), one Replacer with the
lazy `{http.*}` provider (built when first asked for), the routes, then `errors.routes` for a HandlerError. Every response
gets `Server: Caddy` (set before `req.on_prepare` callbacks, so `header -Server` can remove it).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError, Context
from caddy_py.config.durations import duration_seconds
from caddy_py.http.clientip import ClientIPPolicy
from caddy_py.http.aio import (DEFAULT_MAX_HEADER_BYTES, AioServer, go_error_response, header_block_size,
                             valid_host_header)
from caddy_py.http.handler import HandlerError
from caddy_py.http.listeners import acquire, parse_network_address, release
from caddy_py.http.request import Request, split_target
from caddy_py.http.routes import RouteError, RouteList, empty_handler, error_empty_handler
from caddy_py.logs.access import log_error
from caddy_py.replacer import PlaceholderError, Replacer

ERROR_LOG = logging.getLogger("http.log.error")
LOG = logging.getLogger("http")


class HTTPServer:
    def __init__(self, name: str, cfg: dict[str, Any]) -> None:
        self.name = name
        self.cfg = cfg
        listen = cfg.get("listen") or []
        if not isinstance(listen, list):
            raise ConfigError(f"server {name}: listen must be a list")
        self.addresses = []
        repl = Replacer()  # listen addresses may use global placeholders ({env.PORT})
        for i, a in enumerate(listen):
            try:
                a = repl.replace_or_err(str(a), True, True)
            except PlaceholderError as e:
                raise ConfigError(f"server {name}, listener {i}: {e}") from None
            try:
                self.addresses += parse_network_address(a).port_addrs()
            except ConfigError as e:
                raise ConfigError(f"invalid listener address '{a}': {e}") from None
        self.routes = RouteList([])
        self.error_routes: RouteList | None = None
        self.named_routes: dict[str, RouteList] = {}  # `invoke` targets
        self.logs: Any = None
        self.log_access: Any = None
        self.observers: list[Any] = []  # fn(req, resp, seconds) after each request (metrics)
        self.aio: AioServer | None = None
        self.listener_keys: list[str] = []
        self.listeners: list[Any] = []
        self.shutting_down = False
        self.local_addr = ""
        self.max_header_bytes = int(cfg.get("max_header_bytes") or DEFAULT_MAX_HEADER_BYTES)
        self.client_ip = ClientIPPolicy(cfg)
        self.idle_timeout = duration_seconds(cfg.get("idle_timeout"), 300.0) or 300.0
        self.header_limit = self.max_header_bytes + 4096
        self.tls: Any = None  # caddy_py.tls.app.ServerTLS when the server has TLS connection policies

    async def provision(self, ctx: Context) -> None:
        try:
            self.routes = await ctx.load_routes(self.cfg.get("routes"))
        except RouteError as e:
            raise ConfigError(f"server {self.name}: setting up route {e.phase}: {e}") from None
        for rname, route in (self.cfg.get("named_routes") or {}).items():
            try:
                self.named_routes[rname] = await ctx.load_routes([route])
            except ConfigError as e:
                raise ConfigError(f"server {self.name}: setting up named route '{rname}' handlers: {e}") from None
        err = self.cfg.get("errors") or {}
        if err.get("routes"):
            try:
                self.error_routes = await ctx.load_routes(err["routes"])
            except ConfigError as e:
                raise ConfigError(f"server {self.name}: setting up error handling routes: {e}") from None
        if self.cfg.get("logs") is not None:
            try:
                from caddy_py.logs.access import ServerLogs, log_access
            except ImportError:  # pragma: no cover - the logging module is optional
                pass
            else:
                self.logs = ServerLogs.from_json(self.cfg.get("logs"))
                self.log_access = log_access

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self.aio = AioServer(self.handle, max_header_bytes=self.max_header_bytes,
                             keepalive_timeout=self.idle_timeout)
        try:
            for addr in self.addresses:
                key, lst = await acquire(addr)
                self.listener_keys.append(key)
                self.listeners.append(lst)
        except BaseException:
            await self.release_listeners()
            raise

    def activate(self) -> None:
        """Route new connections on our addresses to this server (the reload swap)."""
        factory = self.aio if self.tls is None else self.tls.wrap(self.aio)
        for lst in self.listeners:
            lst.factory = factory
            lst.owner = self

    def ports(self) -> list[int]:
        return [p for lst in self.listeners for p in lst.ports()]

    async def release_listeners(self) -> None:
        for key, lst in zip(self.listener_keys, self.listeners):
            if lst.owner is self:
                lst.factory = None
                lst.owner = None
            await release(key)
        self.listener_keys, self.listeners = [], []

    async def stop(self, grace: float | None) -> None:
        """Stop: new connections go elsewhere (or are refused), idle keep-alive connections
        close, in-flight requests finish (up to `grace` seconds, None = wait), hijacked
        connections (WebSockets) are left to their handlers."""
        self.shutting_down = True
        await self.release_listeners()
        if self.aio is None:
            return
        conns = [c for c in self.aio.connections if not getattr(c, "caddy_hijacked", False)]
        if conns:
            await asyncio.gather(*(c.graceful_close(grace) for c in conns), return_exceptions=True)

    # -- requests --------------------------------------------------------------------------
    async def handle(self, raw: web.BaseRequest) -> web.StreamResponse:
        major, minor = raw.version
        headers = raw.headers
        if header_block_size(raw) > self.header_limit:
            return go_error_response(431, "431 Request Header Fields Too Large")
        if major == 1 and minor == 1:
            n_host = len(headers.getall("Host", ()))
            if n_host == 0:
                return go_error_response(400, "400 Bad Request: missing required Host header")
            if n_host > 1:
                return go_error_response(400, "400 Bad Request: too many Host headers")
        if not valid_host_header(headers.get("Host", "")):
            return go_error_response(400, "400 Bad Request: malformed Host header")
        if raw.method == "OPTIONS" and raw.raw_path == "*":
            return web.Response(headers={"Content-Length": "0"})
        if minor == 1 and "Expect" in headers and headers["Expect"].lower() == "100-continue":
            # Go answers 100 Continue when a handler reads the body; aiohttp's low-level
            # server never does, so a waiting client is told to go ahead up front
            await raw.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        target = raw.raw_path
        if ("/.well-known/acme-challenge/" in target or "%" in target) and raw.path.startswith("/.well-known/acme-challenge/"):
            from caddy_py.tls.challenges import http_answer

            answer = http_answer(raw.path)
            if answer is not None:  # an ACME CA validating HTTP-01: answered before any route, as Caddy
                return web.Response(body=answer, content_type="text/plain")
        req = Request(raw, None, self)  # its replacer is built when a handler first asks
        req.start_time = time.perf_counter()
        raw.caddy = req  # type: ignore[attr-defined]
        names = "".join(req.headers.keys())  # one scan for the rare names Caddy drops
        if "_" in names or "." in names:
            for k in [k for k in req.headers if "_" in k or "." in k]:
                del req.headers[k]
        trusted, client_ip = self.client_ip.resolve(req.remote_addr, req.headers)
        req.vars["trusted_proxy"] = trusted
        req.vars["client_ip"] = client_ip
        # the routes inline (no extra coroutine layers on the hot path)
        try:
            if len(req.method) > 32:
                raise HandlerError(405)
            resp = await self.routes.run(req, 0, empty_handler)
        except HandlerError as e:
            resp = await self.handle_error(req, e)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception as e:  # noqa: BLE001 - a handler bug becomes a 500, never a traceback to the client
            ERROR_LOG.exception("handler failed: %s", e)
            resp = await self.handle_error(req, HandlerError(500, str(e), cause=e))
        if self.shutting_down:
            resp.force_close()  # this connection ends with this response
        # sent here (aiohttp's own prepare/write_eof become no-ops): the access log sees the
        # outcome, and the links that make reference cycles (aiohttp's request and ours point
        # at each other; prepare callbacks close over the request) are cut once the answer is
        # out, so a request is freed by reference counting, not by the cyclic collector
        try:
            await resp.prepare(raw)
            await resp.write_eof()
        except ConnectionError:
            pass  # the client is gone: aiohttp's own write_eof fails again and drops the connection
        finally:
            raw.caddy = None
            if self.log_access is not None or self.observers:
                self._after(req, resp)
            req.on_prepare.clear()
        return resp

    async def handle_error(self, req: Request, err: HandlerError) -> web.StreamResponse:
        if req.response is not None and req.response.prepared:
            return req.response  # already streaming: nothing more can be said
        # error routes see the original request
        raw = req.raw
        req.method = raw.method
        _, req.path, req.raw_query = split_target(raw.raw_path)
        req.error = err
        if self.error_routes is not None:
            try:
                resp = await self.error_routes.serve(req, error_empty_handler)
            except HandlerError as e2:
                ERROR_LOG.error("error handling handler error: %s", e2)
            except Exception as e2:  # noqa: BLE001
                ERROR_LOG.exception("error handling handler error: %s", e2)
            else:
                self._log_error(req, err, handled=True)
                return resp
            if req.response is not None and req.response.prepared:
                self._log_error(req, err, handled=False)
                return req.response
        self._log_error(req, err, handled=False)
        return web.Response(status=err.status)

    def _log_error(self, req: Request, err: HandlerError, handled: bool) -> None:
        try:
            log_error(self.logs, req, err, time.perf_counter() - req.start_time, handled=handled)
        except Exception:  # noqa: BLE001 - logging must not break serving
            LOG.exception("error log failed")

    def _after(self, req: Request, resp: web.StreamResponse) -> None:
        dur = time.perf_counter() - req.start_time
        if self.log_access is not None:
            try:
                size = getattr(resp, "body_length", 0) if resp is not None else 0
                self.log_access(self.logs, req, resp, dur, size=size)
            except Exception:  # noqa: BLE001 - logging must not break serving
                LOG.exception("access log failed")
        for obs in self.observers:
            try:
                obs(req, resp, dur)
            except Exception:  # noqa: BLE001
                LOG.exception("request observer failed")
