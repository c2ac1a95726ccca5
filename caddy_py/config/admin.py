"""The admin API (Caddy's admin endpoint): `admin.listen`, default localhost:2019; `admin off`
(`{"admin": {"disabled": true}}`) turns it off.

Endpoints: GET /config/[path] (the active config or a part of it), POST /load (a JSON config,
or a Caddyfile with Content-Type text/caddyfile), POST /stop, GET /metrics (prometheus-client's
default registry). Errors are `{"error": "..."}` JSON with Caddy's statuses.

Checks, as Caddy: on a loopback listener the Host header must be one of the allowed origins
(localhost/127.0.0.1/::1 with the port, or `admin.origins`); a request with an Origin (or
Sec-Fetch-Mode) header, or any request when `enforce_origin` is set, must come from an allowed
origin; WebSocket upgrades, `Sec-Fetch-Mode: no-cors` and `Origin: null` are refused.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.http.aio import AioServer
from caddy_py.http.listeners import parse_network_address

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.config.runtime import Runtime

LOG = logging.getLogger("admin.api")
DEFAULT_LISTEN = os.environ.get("CADDY_ADMIN", "") or "localhost:2019"


@dataclass(frozen=True)
class AdminSettings:
    listen: str
    enforce_origin: bool
    origins: tuple[str, ...] | None


def admin_settings(cfg: dict[str, Any]) -> AdminSettings | None:
    if cfg.get("disabled"):
        return None
    origins = cfg.get("origins")
    return AdminSettings(cfg.get("listen") or DEFAULT_LISTEN, bool(cfg.get("enforce_origin")),
                         tuple(origins) if origins is not None else None)


class APIError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _join(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def allowed_origins(settings: AdminSettings) -> list[tuple[str, str]]:
    """(scheme, host) pairs; an empty scheme accepts any."""
    addr = parse_network_address(settings.listen)
    out: list[str] = list(settings.origins or [])
    if settings.origins is None and not addr.network.startswith("unix"):
        if _is_loopback(addr.host):
            out += [_join("localhost", addr.start_port), _join("::1", addr.start_port),
                    _join("127.0.0.1", addr.start_port)]
        else:
            out.append(_join(addr.host, addr.start_port))
    pairs = []
    for o in dict.fromkeys(out):
        if "://" in o:
            u = urlsplit(o)
            pairs.append((u.scheme, u.netloc))
        else:
            pairs.append(("", o))
    return pairs


def _json_response(value: Any, status: int = 200) -> web.Response:
    """JSON as Go's json.Encoder writes it: compact, `<>&` escaped, a trailing newline."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    resp = web.Response(status=status, body=(text + "\n").encode())
    resp.headers["Content-Type"] = "application/json"
    return resp


_ADMIN_HANDLERS = {"/config": "config", "/load": "load", "/stop": "stop", "/metrics": "metrics"}


def _count_admin(req: web.BaseRequest, status: int, error: bool = False) -> None:
    """caddy_admin_http_requests_total / _request_errors_total, labelled like Caddy's."""
    try:
        from caddy_py.http.metrics import ADMIN_ERRORS, ADMIN_REQUESTS, sanitize_code, sanitize_method
    except ImportError:  # pragma: no cover
        return
    path = "/config/" if req.path.startswith("/config") else req.path
    handler = _ADMIN_HANDLERS.get(path.rstrip("/") or "/", "")
    if not handler and path != "/config/":
        return
    handler = handler or "config"
    method = sanitize_method(req.method)
    ADMIN_REQUESTS.labels(handler, path, sanitize_code(status), method).inc()
    if error:
        ADMIN_ERRORS.labels(handler, path, method).inc()


class AdminServer:
    def __init__(self, runtime: "Runtime", settings: AdminSettings) -> None:
        self.runtime = runtime
        self.settings = settings
        self.addr = parse_network_address(settings.listen)
        self.origins = allowed_origins(settings)
        self.enforce_host = not self.addr.network.startswith("unix") and _is_loopback(self.addr.host)
        self.server: web.Server | None = None
        self.aserver: asyncio.base_events.Server | None = None

    async def start(self) -> "AdminServer":
        loop = asyncio.get_running_loop()
        self.server = AioServer(self._handle)
        a = self.addr
        try:
            if a.network.startswith("unix"):
                if os.path.exists(a.host):
                    os.unlink(a.host)
                self.aserver = await loop.create_unix_server(self.server, a.host)
            else:
                self.aserver = await loop.create_server(self.server, a.host or None, a.start_port,
                                                        reuse_address=True)
        except OSError as e:
            raise ConfigError(f"listening on {a.key()}: {e.strerror or e}") from None
        LOG.info("admin endpoint started on %s", self.settings.listen)
        return self

    def port(self) -> int:
        for s in self.aserver.sockets if self.aserver else []:
            name = s.getsockname()
            if isinstance(name, tuple):
                return name[1]
        return 0

    async def close(self) -> None:
        if self.aserver is not None:
            self.aserver.close()
            self.aserver = None
        if self.server is not None:
            await self.server.shutdown(1.0)
            self.server = None

    # -- requests --------------------------------------------------------------------------
    async def _handle(self, req: web.BaseRequest) -> web.StreamResponse:
        try:
            headers = self._check(req)
            resp = await self._route(req)
            resp.headers.update(headers)
        except APIError as e:
            LOG.error("request error: %s", e.message, extra={"caddy_fields": {"status_code": e.status}})
            _count_admin(req, e.status, error=True)
            return _json_response({"error": e.message}, e.status)
        _count_admin(req, resp.status)
        return resp

    def _check(self, req: web.BaseRequest) -> dict[str, str]:
        h = req.headers
        if "websocket" in h.get("Upgrade", ""):
            raise APIError(400, "WebSocket connections aren't allowed.")
        if "no-cors" in h.get("Sec-Fetch-Mode", ""):
            raise APIError(400, "Disabling same-origin restrictions is not allowed.")
        if h.get("Origin") == "null":
            raise APIError(400, "Buggy browser is sending null Origin header.")
        if self.enforce_host and not any(req.host == host for _, host in self.origins):
            raise APIError(403, f"host not allowed: {req.host}")
        out: dict[str, str] = {}
        if self.settings.enforce_origin or "Origin" in h or "Sec-Fetch-Mode" in h:
            origin = h.get("Origin") or h.get("Referer") or ""
            u = urlsplit(origin)
            if not any((not s or s == u.scheme) and host == u.netloc for s, host in self.origins):
                if not origin:
                    raise APIError(403, "required Origin header is missing or invalid")
                raise APIError(403, f"client is not allowed to access from origin '{origin}'")
            if req.method == "OPTIONS":
                out["Access-Control-Allow-Methods"] = "OPTIONS, GET, POST, PUT, PATCH, DELETE"
                out["Access-Control-Allow-Headers"] = "Content-Type, Content-Length, Cache-Control"
                out["Access-Control-Allow-Credentials"] = "true"
            out["Access-Control-Allow-Origin"] = f"{u.scheme}://{u.netloc}" if u.scheme else u.netloc
        return out

    async def _route(self, req: web.BaseRequest) -> web.StreamResponse:
        path = req.path
        if path == "/config" or path.startswith("/config/"):
            return await self._config(req)
        if path == "/load":
            if req.method != "POST":
                raise APIError(405, "method not allowed")
            return await self._load(req)
        if path == "/stop":
            if req.method != "POST":
                raise APIError(405, "method not allowed")
            asyncio.get_running_loop().call_soon(self._request_stop)
            return web.Response()
        if path == "/metrics":
            return self._metrics(req)
        # Go's ServeMux answer for an unknown path (plain text, not an API error)
        resp = web.Response(status=404, body=b"404 page not found\n")
        resp.headers["Content-Type"] = "text/plain; charset=utf-8"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        return resp

    async def _config(self, req: web.BaseRequest) -> web.Response:
        import copy

        from caddy_py.config.configpath import ConfigPathError, access

        method = req.method
        if method == "GET":
            try:
                return _json_response(access({"config": self.runtime.config or None}, "GET", req.path))
            except ConfigPathError as e:
                raise APIError(400, str(e)) from None
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            raise APIError(405, f"method {method} not allowed")
        body = b""
        if method != "DELETE":
            ctype = req.headers.get("Content-Type", "")
            if "/json" not in ctype:
                raise APIError(400, f"unacceptable content-type: {ctype}; 'application/json' required")
            body = await req.read()
        root = {"config": copy.deepcopy(self.runtime.config) or None}
        try:
            access(root, method, req.path, body)
        except ConfigPathError as e:
            raise APIError(e.status, str(e)) from None
        new = root.get("config") or {}
        if not isinstance(new, dict):
            raise APIError(400, "config must be an object")
        try:
            await self.runtime.load(new)
        except ConfigError as e:
            raise APIError(400, f"loading new config: {e}") from None
        return web.Response()

    async def _load(self, req: web.BaseRequest) -> web.Response:
        from caddy_py.caddyfile.errors import CaddyfileError
        from caddy_py.config.loading import config_from_bytes

        body = await req.read()
        ctype = req.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        adapter = ""
        if ctype.startswith("text/"):
            adapter = ctype[5:]
        elif ctype not in ("", "application/json"):
            raise APIError(400, f"unrecognized content type: {ctype}")
        try:
            cfg = config_from_bytes(body, adapter, "Caddyfile")
            await self.runtime.load(cfg)
        except (ConfigError, CaddyfileError) as e:
            raise APIError(400, f"loading config: {e}") from None
        return web.Response()

    def _metrics(self, req: web.BaseRequest) -> web.Response:
        from caddy_py.http.metrics import exposition, registry_for

        body, headers = exposition(registry_for(), req.headers.get("Accept", ""),
                                   req.headers.get("Accept-Encoding", ""))
        resp = web.Response(body=body)
        resp.headers.update(headers)
        return resp

    def _request_stop(self) -> None:
        self._stop_task = asyncio.get_running_loop().create_task(self.runtime.stop())
