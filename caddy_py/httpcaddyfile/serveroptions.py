"""The `servers` global option (Caddy's serveroptions.go): per-listener server settings, parsed
into ServerOptions and applied to the servers the adapter built (`apply_server_options`).

Servers are the adapter's server JSON dicts; `order_server` puts their keys in the order Go's
caddyhttp.Server struct prints them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_bytes, parse_duration, parse_int
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.routes import json_module_object
from caddy_py.httpcaddyfile.zaplog import zap_warn

SERVER_FIELD_ORDER = (
    "listen", "listener_wrappers", "packet_conn_wrappers", "read_timeout", "read_header_timeout",
    "read_idle_timeout", "read_min_rate", "write_timeout", "write_idle_timeout", "write_min_rate",
    "max_write_chunk", "idle_timeout", "keepalive_interval", "keepalive_idle", "keepalive_count",
    "max_header_bytes", "enable_full_duplex", "expected_underscore_headers", "expected_dot_headers",
    "routes", "errors", "named_routes", "tls_connection_policies", "automatic_https", "strict_sni_host",
    "trusted_proxies", "client_ip_headers", "trusted_proxies_strict", "trusted_proxies_unix", "logs",
    "protocols", "listen_protocols", "allow_0rtt", "metrics",
)
SERVER_LOGS_ORDER = ("default_logger_name", "logger_names", "skip_hosts", "skip_unmapped_hosts",
                     "should_log_credentials", "trace")

# Fields copied to a server as they are (zero values are omitted, as Go's omitempty does)
_COPIED = (
    "listener_wrappers", "packet_conn_wrappers", "read_timeout", "read_header_timeout", "read_idle_timeout",
    "read_min_rate", "write_timeout", "write_idle_timeout", "write_min_rate", "max_write_chunk", "idle_timeout",
    "keepalive_interval", "keepalive_idle", "keepalive_count", "max_header_bytes", "enable_full_duplex",
    "expected_underscore_headers", "expected_dot_headers", "protocols", "strict_sni_host", "trusted_proxies",
    "client_ip_headers", "trusted_proxies_strict", "trusted_proxies_unix", "metrics", "allow_0rtt",
)

# pointer fields in Go: printed even when false or empty
_POINTERS = ("strict_sni_host", "allow_0rtt", "metrics", "trusted_proxies")


@dataclass
class ServerOptions:
    listener_address: str = ""
    name: str = ""
    fields: dict[str, Any] = field(default_factory=dict)  # server JSON fields, by JSON name
    should_log_credentials: bool = False
    trace: bool = False


def order_server(server: dict) -> dict:
    """A server dict with its keys in caddyhttp.Server's struct order (unknown keys last)."""
    out = {k: server[k] for k in SERVER_FIELD_ORDER if k in server}
    out.update({k: v for k, v in server.items() if k not in out})
    if isinstance(out.get("logs"), dict):
        logs = out["logs"]
        out["logs"] = {k: logs[k] for k in SERVER_LOGS_ORDER if k in logs}
    return out


def _dur(d: Dispenser, text: str, what: str) -> int:
    try:
        return parse_duration(text)
    except GoValueError as e:
        raise d.err(f"parsing {what}: {e}") from None


def _size(d: Dispenser, what: str) -> int:
    """One humanized byte size argument ("16KiB")."""
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    try:
        return parse_bytes(args[0])
    except GoValueError as e:
        raise d.err(f"parsing {what}: {e}") from None


def _timeouts(d: Dispenser, f: dict[str, Any]) -> None:
    nesting = d.nesting
    simple = {"read_body": "read_timeout", "read_header": "read_header_timeout", "write": "write_timeout",
              "idle": "idle_timeout"}
    while d.next_block(nesting):
        sub = d.val()
        if sub in simple:
            if not d.next_arg():
                raise d.arg_err()
            f[simple[sub]] = _dur(d, d.val(), f"{sub} timeout duration")
        elif sub in ("read_body_idle", "write_idle"):
            args = d.remaining_args()
            if not 1 <= len(args) <= 2:
                raise d.arg_err()
            prefix = "read" if sub == "read_body_idle" else "write"
            f[f"{prefix}_idle_timeout"] = _dur(d, args[0], f"{sub} timeout duration")
            if len(args) == 2:
                try:
                    f[f"{prefix}_min_rate"] = parse_int(args[1])
                except GoValueError as e:
                    raise d.err(f"parsing {sub} min_rate bytes/second: {e}") from None
        elif sub == "write_max_chunk":
            f["max_write_chunk"] = _size(d, sub)
        else:
            raise d.err(f"unrecognized timeouts option '{sub}'")


def _wrappers(d: Dispenser, namespace: str) -> list[dict]:
    out = []
    nesting = d.nesting
    while d.next_block(nesting):
        name = d.val()
        out.append(json_module_object(unmarshal_module(d, f"{namespace}.{name}"), "wrapper", name))
    return out


def _no_arg_flag(d: Dispenser) -> None:
    if d.next_arg():
        raise d.arg_err()


def parse_server_options(d: Dispenser) -> ServerOptions:
    d.next()
    so = ServerOptions()
    f = so.fields
    if d.next_arg():
        so.listener_address = d.val()
        if d.next_arg():
            raise d.arg_err()
    while d.next_block(0):
        sub = d.val()
        if sub == "name":
            if not so.listener_address:
                raise d.err("cannot set a name for a server without a listener address")
            if not d.next_arg():
                raise d.arg_err()
            so.name = d.val()
        elif sub == "listener_wrappers":
            f["listener_wrappers"] = f.get("listener_wrappers", []) + _wrappers(d, "caddy.listeners")
        elif sub == "packet_conn_wrappers":
            f["packet_conn_wrappers"] = f.get("packet_conn_wrappers", []) + _wrappers(d, "caddy.packetconns")
        elif sub == "timeouts":
            _timeouts(d, f)
        elif sub in ("keepalive_interval", "keepalive_idle"):
            if not d.next_arg():
                raise d.arg_err()
            f[sub] = _dur(d, d.val(), "keepalive " + sub.split("_")[1] + " duration")
        elif sub == "keepalive_count":
            if not d.next_arg():
                raise d.arg_err()
            try:
                f["keepalive_count"] = parse_int(d.val(), 32)
            except GoValueError as e:
                raise d.err(f"parsing keepalive count int: {e}") from None
        elif sub == "max_header_size":
            f["max_header_bytes"] = _size(d, sub)
        elif sub == "enable_full_duplex":
            _no_arg_flag(d)
            f["enable_full_duplex"] = True
        elif sub in ("expected_underscore_headers", "expected_dot_headers"):
            args = d.remaining_args()
            if not args:
                raise d.arg_err()
            f[sub] = args
        elif sub == "log_credentials":
            _no_arg_flag(d)
            so.should_log_credentials = True
        elif sub == "protocols":
            protos = f.setdefault("protocols", [])
            for p in d.remaining_args():
                if p not in ("h1", "h2", "h2c", "h3"):
                    raise d.err(f"unknown protocol '{p}': expected h1, h2, h2c, or h3")
                if p in protos:
                    raise d.err(f"protocol {p} specified more than once")
                protos.append(p)
            if not protos:
                f["protocols"] = None
            if d.next_block(d.nesting):
                raise d.arg_err()
        elif sub == "strict_sni_host":
            if d.next_arg() and d.val() not in ("insecure_off", "on"):
                raise d.err(f"strict_sni_host only supports 'on' or 'insecure_off', got '{d.val()}'")
            f["strict_sni_host"] = d.val() != "insecure_off"
        elif sub == "trusted_proxies":
            if not d.next_arg():
                raise d.err("trusted_proxies expects an IP range source module name as its first argument")
            name = d.val()
            f["trusted_proxies"] = json_module_object(unmarshal_module(d, "http.ip_sources." + name), "source", name)
        elif sub == "trusted_proxies_strict":
            _no_arg_flag(d)
            f["trusted_proxies_strict"] = 1
        elif sub == "trusted_proxies_unix":
            _no_arg_flag(d)
            f["trusted_proxies_unix"] = True
        elif sub == "client_ip_headers":
            headers = f.setdefault("client_ip_headers", [])
            for hdr in d.remaining_args():
                if hdr in headers:
                    raise d.err(f"client IP header {hdr} specified more than once")
                headers.append(hdr)
            if d.next_block(d.nesting):
                raise d.arg_err()
        elif sub == "metrics":
            zap_warn("The nested 'metrics' option inside `servers` is deprecated and will be removed in the next "
                     "major version. Use the global 'metrics' option instead.")
            metrics: dict[str, Any] = {}
            nesting = d.nesting
            while d.next_block(nesting):
                if d.val() != "per_host":
                    raise d.err(f"unrecognized metrics option '{d.val()}'")
                metrics["per_host"] = True
            f["metrics"] = metrics
        elif sub == "trace":
            _no_arg_flag(d)
            so.trace = True
        elif sub == "0rtt":
            if not d.next_arg():
                raise d.arg_err()
            if d.val() != "off":
                raise d.err(f"unsupported 0rtt argument '{d.val()}' (only 'off' is supported)")
            f["allow_0rtt"] = False
        else:
            raise d.err(f"unrecognized servers option '{sub}'")
    return so


def server_options_for(listen: list[str], options: dict[str, Any]) -> ServerOptions | None:
    """The first `servers` option that applies to a server with these listeners."""
    for so in options.get("servers") or []:
        if not so.listener_address or so.listener_address in listen:
            return so
    return None


def apply_server_options(servers: dict[str, dict], options: dict[str, Any], warnings: list[Any]) -> dict[str, dict]:
    """Apply the `servers` options to the servers (name → server dict, changed in place) and
    rename servers that asked for a name. Returns the (possibly renamed) mapping."""
    opts = options.get("servers")
    if not opts:
        return servers
    names: set[str] = set()
    for so in opts:
        if so.name:
            if so.name in names:
                raise CaddyfileError(f"cannot use duplicate server name '{so.name}'")
            names.add(so.name)
    renames: dict[str, str] = {}
    for key, server in servers.items():
        so = server_options_for(server.get("listen") or [], options)
        if so is None:
            continue
        for k in _COPIED:
            server.pop(k, None)
            v = so.fields.get(k)
            if v is None or (k not in _POINTERS and not v):
                continue
            server[k] = v
        if so.should_log_credentials or so.trace:
            logs = server.setdefault("logs", {})
            if so.should_log_credentials:
                logs["should_log_credentials"] = True
            if so.trace:
                logs["trace"] = True
        ordered = order_server(server)
        server.clear()
        server.update(ordered)
        if so.name:
            renames[key] = so.name
    for old, new in renames.items():
        servers[new] = servers.pop(old)
    return servers


# -- guest modules the servers option names --------------------------------------------------------
@module_parser("http.ip_sources.static")
def parse_static_ip_range(d: Dispenser) -> dict:
    if not d.next():
        return {}
    ranges: list[str] = []
    while d.next_arg():
        if d.val() == "private_ranges":
            ranges.extend(["192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"])
        else:
            ranges.append(d.val())
    return {"ranges": ranges} if ranges else {}


@module_parser("caddy.listeners.http_redirect")
def parse_http_redirect_wrapper(d: Dispenser) -> dict:
    return {}


@module_parser("caddy.listeners.tls")
def parse_tls_wrapper(d: Dispenser) -> dict:
    return {}


@module_parser("caddy.listeners.proxy_protocol")
def parse_proxy_protocol_wrapper(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    out: dict[str, Any] = {}
    while d.next_block(0):
        sub = d.val()
        if sub == "timeout":
            if not d.next_arg():
                raise d.arg_err()
            out["timeout"] = _dur(d, d.val(), "proxy_protocol timeout duration")
        elif sub in ("allow", "deny"):
            out.setdefault(sub, []).extend(d.remaining_args())
        elif sub == "fallback_policy":
            if not d.next_arg():
                raise d.arg_err()
            policies = ("ignore", "use", "reject", "require", "skip")
            if d.val().lower() not in policies:
                raise d.err(f"unknown policy: {d.val()}")
            out["fallback_policy"] = d.val().lower()
        else:
            raise d.arg_err()
    return out


@module_parser("caddy.storage.file_system")
def parse_file_storage(d: Dispenser) -> dict:
    if not d.next():
        raise d.err("expected tokens")
    root = d.val() if d.next_arg() else ""
    if d.next_arg():
        raise d.arg_err()
    while d.next_block(0):
        if d.val() != "root":
            raise d.err(f"unrecognized parameter '{d.val()}'")
        if not d.next_arg():
            raise d.arg_err()
        if root:
            raise d.err("root already set")
        root = d.val()
        if d.next_arg():
            raise d.arg_err()
    if not root:
        raise d.err("missing root path (to use default, omit storage config entirely)")
    return {"root": root}
