"""Per-server access logging (the server JSON's `logs`), written like Caddy's access log entries.

The server core calls, once per request after the response is finished:

    server_logs = ServerLogs.from_json(server_cfg.get("logs"))     # once, at provision; None = off
    log_access(server_logs, req, resp, duration_seconds, size=body_bytes_sent, bytes_read=n)

and, for a HandlerError that reached the server (after `errors.routes` ran, if any):

    log_error(server_logs, req, err, duration_seconds, handled=error_routes_succeeded)

`req` is our `caddy_py.http.request.Request` (the entry describes the *original* request from
`req.raw`, plus `client_ip` from `req.vars["client_ip"]` (else the peer) and `user_id` from the
`{http.auth.user.id}` placeholder); `resp` is the aiohttp response (for status and headers).
`size` counts body bytes only (not headers or chunk framing); for a `web.Response` it is
taken from its body, so only streamed responses need it passed.
Nothing is built when no configured log would take the entry. Honoured vars: `log_skip`
(skip the entry), `access_logger_names` (the `log_name` directive), `unhandled` (msg "NOP").
Handlers add fields to the entry with `add_log_field(req, key, value)` (`log_append`).
"""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from caddy_py.logs.encoders import Duration

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

    from caddy_py.http.request import Request

ACCESS_LOGGER = "http.log.access"
ERROR_LOGGER = "http.log.error"
_SECRET_HEADERS = {"cookie", "set-cookie", "authorization", "proxy-authorization"}
_SKIP_BODY_RESP = frozenset({"date", "content-length"})
_SKIP_STREAM_RESP = frozenset({"date"})
_TLS_VERSIONS = {"TLSv1": 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
# IANA numbers of the suites Python's ssl negotiates most often (OpenSSL names)
_CIPHER_IDS = {
    "TLS_AES_128_GCM_SHA256": 0x1301, "TLS_AES_256_GCM_SHA384": 0x1302,
    "TLS_CHACHA20_POLY1305_SHA256": 0x1303,
    "ECDHE-ECDSA-AES128-GCM-SHA256": 0xC02B, "ECDHE-RSA-AES128-GCM-SHA256": 0xC02F,
    "ECDHE-ECDSA-AES256-GCM-SHA384": 0xC02C, "ECDHE-RSA-AES256-GCM-SHA384": 0xC030,
    "ECDHE-ECDSA-CHACHA20-POLY1305": 0xCCA9, "ECDHE-RSA-CHACHA20-POLY1305": 0xCCA8,
}


def canonical_header_key(key: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey (keys with invalid bytes are left alone)."""
    if not key or any(not (c.isalnum() or c in "!#$%&'*+-.^_`|~") or ord(c) > 127 for c in key):
        return key
    out = []
    upper = True
    for c in key:
        out.append(c.upper() if upper else c.lower())
        upper = c == "-"
    return "".join(out)


def loggable_headers(headers: Any, log_credentials: bool, skip: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in headers.items():
        low = k.lower()
        if low in skip:
            continue
        key = canonical_header_key(k)
        if not log_credentials and low in _SECRET_HEADERS:
            out[key] = ["REDACTED"]
            continue
        out.setdefault(key, []).append(v)
    return out


def match_wildcard(host: str, pattern: str) -> bool:
    """certmagic.MatchWildcard: `*.example.com` covers exactly one label."""
    if host == pattern:
        return True
    hl, pl = host.split("."), pattern.split(".")
    if len(hl) != len(pl):
        return False
    return all(p == "*" or p == h for h, p in zip(hl, pl))


def host_only(host: str) -> str:
    if host.startswith("["):
        end = host.find("]")
        return host[1:end] if end > 0 else host
    if host.count(":") == 1:
        return host.rsplit(":", 1)[0]
    return host


class ServerLogs:
    """A server's compiled `logs` object (Caddy's ServerLogConfig)."""

    __slots__ = ("default_logger_name", "logger_names", "skip_hosts", "skip_unmapped_hosts", "log_credentials",
                 "trace")

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.default_logger_name: str = str(cfg.get("default_logger_name", ""))
        names: dict[str, list[str]] = {}
        for host, val in (cfg.get("logger_names") or {}).items():
            if isinstance(val, str):
                names[host] = [val]
            elif isinstance(val, list) and all(isinstance(v, str) for v in val):
                names[host] = list(val)
            else:
                raise ValueError("unsupported type")
        self.logger_names = names
        self.skip_hosts: list[str] = [str(h) for h in cfg.get("skip_hosts") or []]
        self.skip_unmapped_hosts = bool(cfg.get("skip_unmapped_hosts"))
        self.log_credentials = bool(cfg.get("should_log_credentials"))
        self.trace = bool(cfg.get("trace"))

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "ServerLogs | None":
        return None if cfg is None else cls(cfg)

    def should_log(self, host: str) -> bool:
        h = host_only(host)
        if any(match_wildcard(h, name) for name in self.logger_names):
            return True
        if any(match_wildcard(h, skip) for skip in self.skip_hosts):
            return False
        return not self.skip_unmapped_hosts

    def logger_hosts(self, host: str) -> list[str]:
        """The logger names for a host: exact, then `*` replacing one label at a time from the left."""
        h = host_only(host)
        if h in self.logger_names:
            return self.logger_names[h]
        labels = h.split(".")
        for i, label in enumerate(labels):
            if not label:
                continue
            labels[i] = "*"
            hit = self.logger_names.get(".".join(labels))
            if hit is not None:
                return hit
        return [self.default_logger_name]

    def logger_names_for(self, req: "Request", base: str = ACCESS_LOGGER) -> list[str]:
        override = req.vars.get("access_logger_names")
        names = override if isinstance(override, list) else self.logger_hosts(req.raw.host or "")
        return [base + "." + n if n else base for n in names]


def request_fields(req: "Request", log_credentials: bool) -> dict[str, Any]:
    raw = req.raw
    addr = req.remote_addr
    ip, _, port = addr.rpartition(":")
    if not ip:
        ip, port = addr, ""
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    out: dict[str, Any] = {"remote_ip": ip, "remote_port": port}
    client_ip = req.vars.get("client_ip")
    out["client_ip"] = client_ip if isinstance(client_ip, str) else ip  # Caddy always sets it
    out["proto"] = f"HTTP/{raw.version.major}.{raw.version.minor}"
    out["method"] = raw.method
    out["host"] = raw.host or ""
    out["uri"] = raw.raw_path
    out["headers"] = loggable_headers(raw.headers, log_credentials, frozenset({"host"}))
    te = raw.headers.get("Transfer-Encoding")
    if te:
        out["transfer_encoding"] = [t.strip() for t in te.split(",")]
    tls = _tls_fields(raw)
    if tls is not None:
        out["tls"] = tls
    return out


def _tls_fields(raw: Any) -> dict[str, Any] | None:
    transport = getattr(raw, "transport", None)
    sslobj = transport.get_extra_info("ssl_object") if transport is not None else None
    if sslobj is None:
        return None
    cipher = sslobj.cipher() or ("", "", 0)
    return {
        "resumed": bool(sslobj.session_reused),
        "version": _TLS_VERSIONS.get(sslobj.version() or "", 0),
        "cipher_suite": _CIPHER_IDS.get(cipher[0], 0),
        "proto": sslobj.selected_alpn_protocol() or "",
        "server_name": getattr(sslobj, "server_hostname", None) or "",
        "ech": False,
    }


EXTRA_FIELDS = "http.extra_log_fields"
BODY_BYTES = "http.response_body_bytes"


def track_body_bytes(req: "Request") -> None:
    """Count the response body bytes that reach the connection (after any encoding, without
    headers or chunk framing) into `req.state[BODY_BYTES]`, like Caddy's response recorder.
    Call it before the response is prepared (e.g. from a prepare hook); idempotent."""
    if BODY_BYTES in req.state:
        return
    writer = getattr(req.raw, "_payload_writer", None)
    while writer is not None and hasattr(writer, "_inner"):  # encode/templates stand-ins
        writer = writer._inner
    if writer is None or not hasattr(writer, "on_body_write"):
        return
    req.state[BODY_BYTES] = 0
    previous = writer.on_body_write

    def count(n: int, total: int) -> None:
        req.state[BODY_BYTES] += n
        if previous is not None:
            previous(n, total)

    writer.on_body_write = count


def add_log_field(req: "Request", key: str, value: Any) -> None:
    """An extra field for this request's access log entry (Caddy's ExtraLogFields.Add)."""
    req.state.setdefault(EXTRA_FIELDS, {})[key] = value


def _response_size(resp: Any) -> int:
    body = getattr(resp, "body", None)
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    return 0


def _streamed_size(req: "Request", resp: Any, given: int | None) -> int:
    """Body bytes of a streamed response: as counted by `track_body_bytes` (or a server's
    `resp.caddy_body_size`), else its Content-Length (aiohttp's own counters include the header block and chunk
    framing), else what the server passed."""
    if resp is None or req.raw.method == "HEAD":
        return 0
    counted = getattr(resp, "caddy_body_size", req.state.get(BODY_BYTES))
    if isinstance(counted, int):
        return counted
    cl = resp.headers.get("Content-Length")
    if cl is not None and cl.isdigit():
        return int(cl)
    return given or 0


def body_bytes_read(raw: Any) -> int:
    """Request body bytes handlers consumed (received minus still buffered), like Caddy's
    lengthReader: a body nobody read counts 0."""
    content = getattr(raw, "content", None)
    total = getattr(content, "total_bytes", 0) or 0
    return max(total - (getattr(content, "_size", 0) or 0), 0)


def log_access(server_logs: ServerLogs | None, req: "Request", resp: "web.StreamResponse | None",
               duration: float, *, size: int | None = None, bytes_read: int | None = None) -> None:
    """Write the access log entry of one finished request (see the module docstring)."""
    if server_logs is None or not server_logs.should_log(req.raw.host or ""):
        return
    if req.vars.get("log_skip") is True:
        return
    from caddy_py.logging import current

    app = current()
    status = resp.status if resp is not None else 0
    level = logging.ERROR if status >= 500 else logging.INFO
    names = [n for n in server_logs.logger_names_for(req) if app.enabled(n, level)]
    if resp is not None and hasattr(resp, "body"):
        size = _response_size(resp)  # a buffered body is counted exactly, without headers
    else:
        size = _streamed_size(req, resp, size)
    if not bytes_read:
        bytes_read = body_bytes_read(req.raw)
    repl = req.replacer
    if repl is not None:
        repl.set("http.response.status", status)
        repl.set("http.response.size", size)
        repl.set("http.response.duration", duration)
        repl.set("http.response.duration_ms", duration * 1e3)
    if not names:
        return
    user_id = ""
    if repl is not None:
        user_id, _ = repl.get_string("http.auth.user.id")
    creds = server_logs.log_credentials
    resp_headers: dict[str, list[str]] = {}
    if resp is not None:
        # Go's header map never holds Date, nor a Content-Length that net/http computes itself
        skip = _SKIP_BODY_RESP if hasattr(resp, "body") else _SKIP_STREAM_RESP
        resp_headers = loggable_headers(resp.headers, creds, skip)
    fields = {
        "request": request_fields(req, creds),
        "bytes_read": bytes_read,
        "user_id": user_id,
        "duration": Duration(duration),
        "size": size,
        "status": status,
        "resp_headers": resp_headers,
    }
    extra = req.state.get(EXTRA_FIELDS)
    if extra:
        fields.update(extra)
    msg = "NOP" if req.vars.get("unhandled") is True else "handled request"
    now = time.time()
    for name in names:
        app.emit(name, level, now, msg, fields)


def log_error(server_logs: ServerLogs | None, req: "Request", err: Any, duration: float, *,
              handled: bool = False) -> None:
    """Caddy's error log entry for a request that ended in a handler error: DEBUG when the error
    routes answered it, else ERROR for 5xx and DEBUG below; on `http.log.error` (plus the host's
    logger names when the server has `logs`), with the original request and the error's fields."""
    from caddy_py.logging import current

    status = int(getattr(err, "status", 500) or 500)
    level = logging.DEBUG if handled or status < 500 else logging.ERROR
    app = current()
    names = server_logs.logger_names_for(req, ERROR_LOGGER) if server_logs is not None else [ERROR_LOGGER]
    names = [n for n in names if app.enabled(n, level)]
    if not names:
        return
    creds = server_logs.log_credentials if server_logs is not None else False
    fields: dict[str, Any] = {"request": request_fields(req, creds), "duration": Duration(duration)}
    if hasattr(err, "status"):
        fields.update(status=status, err_id=getattr(err, "err_id", ""), err_trace=getattr(err, "trace", ""))
        msg = getattr(err, "message", "") or str(err)
    else:
        fields["error"] = str(err)
        msg = str(err)
    now = time.time()
    for name in names:
        app.emit(name, level, now, msg, fields)
