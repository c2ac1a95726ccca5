"""Caddyfile parsers of reverse_proxy, copy_response and copy_response_headers (Caddy's
reverseproxy/caddyfile.go); php_fastcgi and forward_auth, which wrap reverse_proxy, live in
caddyfile_wrappers.py and the guest modules (transports, policies, sources) in
caddyfile_modules.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.addresses import join_network_address
from caddy_py.httpcaddyfile.builtins import weak_string
from caddy_py.httpcaddyfile.directives import Helper, parse_segment_as_subroute
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_bytes, parse_duration
from caddy_py.httpcaddyfile.matchers import PRIVATE_RANGES, parse_nested_matcher_set
from caddy_py.httpcaddyfile.modparsers import unmarshal_module
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.httpcaddyfile.zaplog import zap_warn
from caddy_py.modules.headers.caddyfile import HeaderOpError, caddyfile_header_op, parse_named_response_matcher
from caddy_py.modules.reverse_proxy.caddyfile_modules import (
    UPSTREAMS_NS,
    duration_arg,
    int_arg,
    load_selection_policy,
    module_object,
    put,
)
from caddy_py.modules.reverse_proxy.upstream_address import (
    UpstreamError,
    parse_network_address,
    parse_upstream_dial_address,
)

MATCHER_PREFIX = "@"

# Pure parses, asked again for every site proxying to the same upstream; the ParsedAddr is only
# read here. (Errors are not cached: each failing use raises again.)
_parse_upstream = lru_cache(maxsize=4096)(parse_upstream_dial_address)
_parse_network = lru_cache(maxsize=4096)(parse_network_address)


@dataclass
class ProxyParse:
    """A reverse_proxy handler being parsed: its JSON plus what only parsing needs."""

    handler: dict[str, Any] = field(default_factory=lambda: {"handler": "reverse_proxy"})
    handle_response_segments: list[Dispenser] = field(default_factory=list)
    response_matchers: dict[str, dict] = field(default_factory=dict)

    def sub(self, *path: str) -> dict[str, Any]:
        obj = self.handler
        for key in path:
            obj = obj.setdefault(key, {})
        return obj


def _health_status(val: str) -> int:
    return atoi(val[:1] if len(val) == 3 and val.endswith("xx") else val)


def _duration_or_int(d: Dispenser) -> int:
    """flush_interval and stream_*: a bare integer is nanoseconds (e.g. -1), else a duration."""
    if not d.next_arg():
        raise d.arg_err()
    try:
        return atoi(d.val())
    except GoValueError:
        pass
    try:
        return parse_duration(d.val())
    except GoValueError as e:
        raise d.err(f"bad duration value '{d.val()}': {e}") from None


_LINT_HOST = ("host", ("{hostport}", "{http.request.hostport}"), "Host")
_LINT_UP = (
    ("x-forwarded-for", ("{remote}", "{http.request.remote}", "{remote_host}", "{http.request.remote.host}"),
     "X-Forwarded-For"),
    ("x-forwarded-proto", ("{scheme}", "{http.request.scheme}"), "X-Forwarded-Proto"),
    ("x-forwarded-host", ("{host}", "{http.request.host}", "{hostport}", "{http.request.hostport}"),
     "X-Forwarded-Host"),
)


def header_up_down(d: Dispenser, headers: dict[str, Any], key: str, lint_host: bool = False) -> None:
    """`header_up`/`header_down [+|-]<field> [<value|regexp> [<replacement>]]` into a headers
    handler's request/response ops (reverse_proxy, websocket_notifier)."""
    ops = headers.setdefault("request" if key == "header_up" else "response", {})
    args = d.remaining_args()
    if not 1 <= len(args) <= 3:
        raise d.arg_err()
    if key == "header_up" and len(args) == 2:
        lints = (_LINT_HOST, *_LINT_UP) if lint_host else _LINT_UP
        for name, values, canon in lints:
            if args[0].lower() == name and args[1] in values:
                zap_warn(f"Unnecessary header_up {canon}: the reverse proxy's default behavior is "
                         "to pass headers to the upstream", "caddyfile")
    value = args[1] if len(args) > 1 else ""
    replacement = args[2] if len(args) == 3 else None
    try:
        caddyfile_header_op(ops, args[0], value, replacement)
    except HeaderOpError as e:
        raise d.err(str(e)) from None


def unmarshal_reverse_proxy(d: Dispenser, rp: ProxyParse) -> None:
    """Handler.UnmarshalCaddyfile: d is before the directive name."""
    h = rp.handler
    common_scheme = ""
    transport: dict[str, Any] | None = None
    transport_name = ""

    def append_upstream(address: str) -> None:
        nonlocal common_scheme
        try:
            pa = _parse_upstream(address)
        except UpstreamError as e:
            raise d.err(str(e)) from None
        if pa.scheme == "wss":
            raise d.err("the scheme wss:// is only supported in browsers; use https:// instead")
        if pa.scheme == "ws":
            raise d.err("the scheme ws:// is only supported in browsers; use http:// instead")
        if pa.scheme not in ("https", "http", "h2c", ""):
            raise d.err(f"unsupported URL scheme {pa.scheme}://")
        if common_scheme and pa.scheme != common_scheme:
            raise d.err("for now, all proxy upstreams must use the same scheme (transport protocol); "
                        f"expecting '{common_scheme}://' but got '{pa.scheme}://'")
        common_scheme = pa.scheme
        ups = h.setdefault("upstreams", [])
        if pa.replaceable_port():
            ups.append(_upstream(pa.dial_addr()))
            return
        try:
            _net, host, start, end = _parse_network(pa.dial_addr())
        except UpstreamError as e:
            raise d.err(str(e)) from None
        if pa.is_unix() or not pa.ranged_port():
            ups.append(_upstream(pa.dial_addr()))
        else:
            for port in range(start, end + 1):
                ups.append(_upstream(join_network_address("", host, str(port))))

    def upstreams(args: list[str]) -> None:
        for up in args:
            try:
                append_upstream(up)
            except CaddyfileError as e:  # prefixed as Go's fmt.Errorf does, position kept
                raise CaddyfileError(f"parsing upstream '{up}': {e}") from None

    d.next()
    upstreams(d.remaining_args())

    while d.next_block(0):
        key = d.val()
        if key.startswith(MATCHER_PREFIX):
            parse_named_response_matcher(d.new_from_next_segment(), rp.response_matchers)
            continue
        if key == "to":
            args = d.remaining_args()
            if not args:
                raise d.arg_err()
            upstreams(args)
        elif key == "dynamic":
            if not d.next_arg():
                raise d.arg_err()
            # Go tests the provisioned field here, never set while parsing: a second one wins
            name = d.val()
            h["dynamic_upstreams"] = module_object(unmarshal_module(d, UPSTREAMS_NS + name), "source", name)
        elif key == "lb_policy":
            if not d.next_arg():
                raise d.arg_err()
            if "selection_policy" in h.get("load_balancing", {}):
                raise d.err("load balancing selection policy already specified")
            policy = load_selection_policy(d)
            rp.sub("load_balancing")["selection_policy"] = policy
        elif key == "lb_retries":
            put(rp.sub("load_balancing"), "retries", int_arg(d, "bad lb_retries number '{v}': {e}"))
        elif key == "lb_try_duration":
            put(rp.sub("load_balancing"), "try_duration", duration_arg(d, "bad duration value {v}: {e}"))
        elif key == "lb_try_interval":
            put(rp.sub("load_balancing"), "try_interval", duration_arg(d, "bad interval value '{v}': {e}"))
        elif key == "lb_retry_match":
            try:
                ms = parse_nested_matcher_set(d)
            except Exception as e:
                raise d.err(f"failed to parse lb_retry_match: {e}") from None
            rp.sub("load_balancing").setdefault("retry_match", []).append(ms)
        elif key.startswith("health_"):
            _health_active(d, rp, key)
        elif key in ("max_fails", "fail_duration", "unhealthy_request_count", "unhealthy_status",
                     "unhealthy_latency"):
            _health_passive(d, rp, key)
        elif key in ("flush_interval", "stream_timeout", "stream_close_delay"):
            put(h, key, _duration_or_int(d))
        elif key in ("request_buffers", "response_buffers", "stream_buffer_size"):
            if not d.next_arg():
                raise d.arg_err()
            val = d.val()
            if val == "unlimited":
                size = -1
            else:
                try:
                    size = parse_bytes(val)
                except GoValueError as e:
                    raise d.err(f"invalid byte size '{val}': {e}") from None
            if d.next_arg():
                raise d.arg_err()
            put(h, key, size)
        elif key == "trusted_proxies":
            proxies = h.setdefault("trusted_proxies", [])
            while d.next_arg():
                if d.val() == "private_ranges":
                    proxies.extend(PRIVATE_RANGES)
                else:
                    proxies.append(d.val())
            if not proxies:
                del h["trusted_proxies"]
        elif key in ("header_up", "header_down"):
            header_up_down(d, rp.sub("headers"), key)
        elif key in ("method", "rewrite"):
            if not d.next_arg():
                raise d.arg_err()
            put(rp.sub("rewrite"), "method" if key == "method" else "uri", d.val())
            if d.next_arg():
                raise d.arg_err()
        elif key == "transport":
            if not d.next_arg():
                raise d.arg_err()
            if "transport" in h:
                raise d.err("transport already specified")
            transport_name = d.val()
            transport = unmarshal_module(d, "http.reverse_proxy.transport." + transport_name)
        elif key == "handle_response":
            rp.handle_response_segments.append(d.new_from_next_segment())
        elif key == "replace_status":
            h.setdefault("handle_response", []).append(parse_replace_status(d, rp.response_matchers))
        elif key == "verbose_logs":
            if h.get("verbose_logs"):
                raise d.err("verbose_logs already specified")
            h["verbose_logs"] = True
        else:
            raise d.err(f"unrecognized subdirective {key}")

    if common_scheme in ("https", "h2c") and transport is None:
        transport, transport_name = {}, "http"
    if transport is not None:
        if transport_name == "http":
            if common_scheme == "https" and "tls" not in transport:
                transport["tls"] = {}
            if "tls" in transport:
                host = h.get("headers", {}).get("request", {}).get("set", {}).get("Host")
                if host and host[0] in ("{upstream_hostport}", "{http.reverse_proxy.upstream.hostport}"):
                    zap_warn("Unnecessary header_up Host: the reverse proxy's default behavior is to pass "
                             "the configured upstream address to the upstream when proxying to HTTPS",
                             "caddyfile")
                if common_scheme == "http":
                    raise d.err("upstream address scheme is HTTP but transport is configured for HTTP+TLS (HTTPS)")
            if common_scheme == "h2c":
                transport["versions"] = ["h2c", "2"]
        elif common_scheme == "https":
            raise d.err("upstreams are configured for HTTPS but transport module does not support TLS: "
                        f"*{transport_name}.Transport")
        if transport or transport_name != "http":
            h["transport"] = module_object(transport, "protocol", transport_name)


def _upstream(dial: str) -> dict[str, Any]:
    return {"dial": dial} if dial else {}


def parse_replace_status(d: Dispenser, matchers: dict[str, dict]) -> dict[str, Any]:
    """`replace_status [@matcher] <status>` as a response handler (reverse_proxy, intercept)."""
    args = d.remaining_args()
    if len(args) not in (1, 2):
        raise d.err("must have one or two arguments: an optional response matcher, and a status code")
    rh: dict[str, Any] = {}
    if len(args) == 2:
        rh["match"] = _named_response_matcher(d, matchers, args[0])
    code = args[-1]
    if code:
        rh["status_code"] = weak_string(code)
    if d.next_block(d.nesting):
        raise d.err("cannot define routes for 'replace_status', use 'handle_response' instead.")
    return rh


def _named_response_matcher(d: Dispenser, matchers: dict[str, dict], name: str) -> dict:
    if not name.startswith(MATCHER_PREFIX):
        raise d.err("must use a named response matcher, starting with '@'")
    found = matchers.get(name)
    if found is None:
        raise d.err(f"no named response matcher defined with name '{name[1:]}'")
    return found


def _health_active(d: Dispenser, rp: ProxyParse, key: str) -> None:
    if key == "health_headers":
        headers: dict[str, list[str]] = {}
        nesting = d.nesting
        while d.next_block(nesting):
            name = d.val()
            values = d.remaining_args() or [""]
            headers.setdefault(name, []).extend(values)
        active = rp.sub("health_checks", "active")
        put(active, "headers", headers)
        return
    if key == "health_follow_redirects":
        if d.next_arg():
            raise d.arg_err()
        rp.sub("health_checks", "active")["follow_redirects"] = True
        return
    if key not in _ACTIVE_KEYS:
        raise d.err(f"unrecognized subdirective {key}")
    if not d.next_arg():
        raise d.arg_err()
    active = rp.sub("health_checks", "active")
    val = d.val()
    if key == "health_upstream":
        from caddy_py.httpcaddyfile.addresses import AddrError, split_host_port

        try:
            _, port = split_host_port(val)
        except AddrError as e:
            raise d.err(f"health_upstream is malformed '{val}': {e}") from None
        try:
            atoi(port)
        except GoValueError as e:
            raise d.err(f"bad port number '{val}': {e}") from None
        active["upstream"] = val
        return
    if key == "health_port" and active.get("upstream"):
        raise d.err("the 'health_port' subdirective is ignored if 'health_upstream' is used!")
    if key == "health_path":
        zap_warn("the 'health_path' subdirective is deprecated, please use 'health_uri' instead!",
                 "config.adapter.caddyfile")
    json_key, kind, fmt = _ACTIVE_KEYS[key]
    try:
        if kind == "str":
            value: Any = val
        elif kind == "dur":
            value = parse_duration(val)
        elif kind == "status":
            value = _health_status(val)
        else:
            value = atoi(val)
    except GoValueError as e:
        raise d.err(fmt.format(v=val, e=e)) from None
    put(active, json_key, value)


_ACTIVE_KEYS = {
    "health_uri": ("uri", "str", ""),
    "health_path": ("path", "str", ""),
    "health_upstream": ("upstream", "str", ""),
    "health_port": ("port", "int", "bad port number '{v}': {e}"),
    "health_method": ("method", "str", ""),
    "health_request_body": ("body", "str", ""),
    "health_interval": ("interval", "dur", "bad interval value {v}: {e}"),
    "health_timeout": ("timeout", "dur", "bad timeout value {v}: {e}"),
    "health_status": ("expect_status", "status", "bad status value '{v}': {e}"),
    "health_body": ("expect_body", "str", ""),
    "health_passes": ("passes", "int", "invalid passes count '{v}': {e}"),
    "health_fails": ("fails", "int", "invalid fails count '{v}': {e}"),
}


def _health_passive(d: Dispenser, rp: ProxyParse, key: str) -> None:
    if key == "unhealthy_status":
        args = d.remaining_args()
        if not args:
            raise d.arg_err()
        passive = rp.sub("health_checks", "passive")
        codes = passive.setdefault("unhealthy_status", [])
        for arg in args:
            try:
                codes.append(_health_status(arg))
            except GoValueError as e:
                raise d.err(f"bad status value '{d.val()}': {e}") from None
        return
    if key in ("fail_duration", "unhealthy_latency"):
        value = duration_arg(d, "bad duration value '{v}': {e}")
    elif key == "max_fails":
        value = int_arg(d, "invalid maximum fail count '{v}': {e}")
    else:
        value = int_arg(d, "invalid maximum connection count '{v}': {e}")
    put(rp.sub("health_checks", "passive"), key, value)


def finalize_handle_responses(helper: Helper, obj: dict[str, Any], segments: list[Dispenser],
                              matchers: dict[str, dict]) -> None:
    """FinalizeUnmarshalCaddyfile of reverse_proxy and intercept: each handle_response block
    becomes a response handler with routes; those without a matcher go last."""
    handlers = obj.setdefault("handle_response", [])
    for d in segments:
        d.next()
        args = d.remaining_args()
        if len(args) > 1:
            raise d.err("too many arguments for 'handle_response': only a single response matcher name "
                        f"is allowed, but got: [{' '.join(args)}]")
        rh: dict[str, Any] = {}
        if args:
            rh["match"] = _named_response_matcher(d, matchers, args[0])
        subroute = parse_segment_as_subroute(helper.with_dispenser(d.new_from_next_segment()))
        if subroute.routes:
            rh["routes"] = [r.to_json() for r in subroute.routes]
        handlers.append(rh)
    obj["handle_response"] = [x for x in handlers if "match" in x] + [x for x in handlers if "match" not in x]
    if not obj["handle_response"]:
        del obj["handle_response"]


def finalize_reverse_proxy(helper: Helper, rp: ProxyParse) -> dict[str, Any]:
    finalize_handle_responses(helper, rp.handler, rp.handle_response_segments, rp.response_matchers)
    return rp.handler


@handler_directive("reverse_proxy")
def parse_reverse_proxy(h: Helper) -> dict:
    rp = ProxyParse()
    unmarshal_reverse_proxy(h, rp)
    return finalize_reverse_proxy(h, rp)


@handler_directive("copy_response")
def parse_copy_response(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {"handler": "copy_response"}
    args = h.remaining_args()
    if len(args) == 1:
        try:
            if atoi(args[0]) > 0:
                out["status_code"] = weak_string(args[0])
                return out
        except GoValueError:
            pass
    while h.next_block(0):
        if h.val() == "status":
            if not h.next_arg():
                raise h.arg_err()
            if h.val():
                out["status_code"] = weak_string(h.val())
        else:
            raise h.err(f"unrecognized subdirective '{h.val()}'")
    return out


@handler_directive("copy_response_headers")
def parse_copy_response_headers(h: Helper) -> dict:
    h.next()
    if h.remaining_args():
        raise h.arg_err()
    out: dict[str, Any] = {"handler": "copy_response_headers"}
    while h.next_block(0):
        key = h.val()
        if key in ("include", "exclude"):
            vals = h.remaining_args()
            if vals:
                out.setdefault(key, []).extend(vals)
        else:
            raise h.err(f"unrecognized subdirective '{h.val()}'")
    return out


from caddy_py.modules.reverse_proxy import caddyfile_wrappers  # noqa: E402,F401  (registers php_fastcgi, forward_auth)
