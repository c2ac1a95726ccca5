"""Caddyfile parsers of reverse_proxy's guest modules (selection policies, dynamic upstream
sources, the http transport, network proxies), registered by Caddy module ID for
`unmarshal_module`. Each returns the module's JSON dict (without its inline name key).
"""
from __future__ import annotations

from typing import Any, Callable

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_bytes, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.zaplog import zap_warn

SELECTION_NS = "http.reverse_proxy.selection_policies."
UPSTREAMS_NS = "http.reverse_proxy.upstreams."


def put(obj: dict[str, Any], key: str, value: Any) -> None:
    """Set a field Go marshals with omitempty: zero values leave it out."""
    if value:
        obj[key] = value
    else:
        obj.pop(key, None)


def typed_arg(d: Dispenser, parse: Callable[[str], int], fmt: str) -> int:
    """The next argument through `parse` (a Go parser); `fmt` words the error ({v} value,
    {e} cause)."""
    if not d.next_arg():
        raise d.arg_err()
    try:
        return parse(d.val())
    except GoValueError as e:
        raise d.err(fmt.format(v=d.val(), e=e)) from None


def duration_arg(d: Dispenser, fmt: str) -> int:
    return typed_arg(d, parse_duration, fmt)


def int_arg(d: Dispenser, fmt: str) -> int:
    return typed_arg(d, atoi, fmt)


def size_arg(d: Dispenser, fmt: str) -> int:
    return typed_arg(d, parse_bytes, fmt)


def module_object(value: dict[str, Any], key: str, name: str) -> dict[str, Any]:
    """caddyconfig.JSONModuleObject for a guest module."""
    return {**value, key: name}


def load_selection_policy(d: Dispenser) -> dict[str, Any]:
    name = d.val()
    return module_object(unmarshal_module(d, SELECTION_NS + name), "policy", name)


# -- selection policies -------------------------------------------------------------------------
def _no_args_policy(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    return {}


for _name in ("random", "least_conn", "round_robin", "first", "ip_hash", "client_ip_hash", "uri_hash"):
    module_parser(SELECTION_NS + _name)(_no_args_policy)


@module_parser(SELECTION_NS + "weighted_round_robin")
def _wrr(d: Dispenser) -> dict:
    d.next()
    args = d.remaining_args()
    if not args:
        raise d.arg_err()
    weights = []
    for w in args:
        try:
            n = atoi(w)
        except GoValueError as e:
            raise d.err(f"invalid weight value '{w}': {e}") from None
        if n < 0:
            raise d.err(f"invalid weight value '{w}': weight should be non-negative")
        weights.append(n)
    return {"weights": weights}


@module_parser(SELECTION_NS + "random_choose")
def _random_choose(d: Dispenser) -> dict:
    d.next()
    if not d.next_arg():
        raise d.arg_err()
    try:
        n = atoi(d.val())
    except GoValueError as e:
        raise d.err(f"invalid choice value '{d.val()}': {e}") from None
    out: dict[str, Any] = {}
    put(out, "choose", n)
    return out


def _fallback(d: Dispenser, out: dict[str, Any]) -> None:
    if not d.next_arg():
        raise d.arg_err()
    if "fallback" in out:
        raise d.err("fallback selection policy already specified")
    out["fallback"] = load_selection_policy(d)


def _keyed_hash(field: str) -> Callable[[Dispenser], dict]:
    def parse(d: Dispenser) -> dict:
        d.next()
        if not d.next_arg():
            raise d.arg_err()
        out: dict[str, Any] = {}
        put(out, field, d.val())
        while d.next_block(0):
            if d.val() == "fallback":
                _fallback(d, out)
            else:
                raise d.err(f"unrecognized option '{d.val()}'")
        return out

    return parse


module_parser(SELECTION_NS + "query")(_keyed_hash("key"))
module_parser(SELECTION_NS + "header")(_keyed_hash("field"))


@module_parser(SELECTION_NS + "cookie")
def _cookie(d: Dispenser) -> dict:
    args = d.remaining_args()  # the policy name is the first of them
    out: dict[str, Any] = {}
    if len(args) in (2, 3):
        put(out, "name", args[1])
        if len(args) == 3:
            put(out, "secret", args[2])
    elif len(args) != 1:
        raise d.arg_err()
    while d.next_block(0):
        if d.val() == "fallback":
            _fallback(d, out)
        elif d.val() == "max_age":
            if not d.next_arg():
                raise d.arg_err()
            if "max_age" in out:
                raise d.err("cookie max_age already specified")
            try:
                age = parse_duration(d.val())
            except GoValueError:
                raise d.err(f"invalid duration: {d.val()}") from None
            if age <= 0:
                raise d.err(f"invalid duration: {d.val()}, max_age should be non-zero and positive")
            if d.next_arg():
                raise d.arg_err()
            out["max_age"] = age
        else:
            raise d.err(f"unrecognized option '{d.val()}'")
    return out


# -- dynamic upstream sources -------------------------------------------------------------------
def _resolvers(d: Dispenser, out: dict[str, Any]) -> None:
    addrs = d.remaining_args()
    if not addrs:
        raise d.err("must specify at least one resolver address")
    out["resolver"] = {"addresses": addrs}


@module_parser(UPSTREAMS_NS + "srv")
def _srv(d: Dispenser) -> dict:
    d.next()
    args = d.remaining_args()
    if len(args) > 1:
        raise d.arg_err()
    out: dict[str, Any] = {}
    if args:
        put(out, "name", args[0])
    while d.next_block(0):
        key = d.val()
        if key in ("service", "proto", "name"):
            if not d.next_arg():
                raise d.arg_err()
            if out.get(key):
                raise d.err(f"srv {key} has already been specified")
            put(out, key, d.val())
        elif _lookup_option(d, key, out):
            pass
        elif key == "grace_period":
            put(out, "grace_period", duration_arg(d, "bad grace period value '{v}': {e}"))
        else:
            raise d.err(f"unrecognized srv option '{key}'")
    return out


def _lookup_option(d: Dispenser, key: str, out: dict[str, Any]) -> bool:
    """The options the `a` and `srv` upstream sources share (refresh, resolvers, dial timeouts);
    False when `key` is none of them."""
    if key == "refresh":
        put(out, "refresh", duration_arg(d, "parsing refresh interval duration: {e}"))
    elif key == "resolvers":
        _resolvers(d, out)
    elif key == "dial_timeout":
        put(out, "dial_timeout", duration_arg(d, "bad timeout value '{v}': {e}"))
    elif key == "dial_fallback_delay":
        put(out, "dial_fallback_delay", duration_arg(d, "bad delay value '{v}': {e}"))
    else:
        return False
    return True


@module_parser(UPSTREAMS_NS + "a")
def _a(d: Dispenser) -> dict:
    d.next()
    args = d.remaining_args()
    if len(args) > 2:
        raise d.arg_err()
    out: dict[str, Any] = {}
    if args:
        put(out, "name", args[0])
        if len(args) == 2:
            put(out, "port", args[1])
    while d.next_block(0):
        key = d.val()
        if key in ("name", "port"):
            if not d.next_arg():
                raise d.arg_err()
            if out.get(key):
                raise d.err(f"a {key} has already been specified")
            put(out, key, d.val())
        elif _lookup_option(d, key, out):
            pass
        elif key == "versions":
            vargs = d.remaining_args()
            if not vargs:
                raise d.err("must specify at least one version")
            versions = out.setdefault("versions", {})
            for v in vargs:
                if v not in ("ipv4", "ipv6"):
                    raise d.err(f"unsupported version: '{v}'")
                versions[v] = True
        else:
            raise d.err(f"unrecognized a option '{key}'")
    return out


@module_parser(UPSTREAMS_NS + "multi")
def _multi(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    sources = []
    while d.next_block(0):
        name = d.val()
        sources.append(module_object(unmarshal_module(d, UPSTREAMS_NS + name), "source", name))
    return {"sources": sources} if sources else {}


# -- network proxies ----------------------------------------------------------------------------
@module_parser("caddy.network_proxy.url")
def _proxy_url(d: Dispenser) -> dict:
    d.next()
    d.next()
    return {"url": d.val()}


@module_parser("caddy.network_proxy.none")
def _proxy_none(d: Dispenser) -> dict:
    return {}


# -- the http transport -------------------------------------------------------------------------
@module_parser("http.reverse_proxy.transport.http")
def parse_http_transport(d: Dispenser) -> dict:
    d.next()
    t: dict[str, Any] = {}

    def tls() -> dict[str, Any]:
        return t.setdefault("tls", {})

    def keep_alive() -> dict[str, Any]:
        return t.setdefault("keep_alive", {})

    while d.next_block(0):
        key = d.val()
        if key == "read_buffer":
            put(t, "read_buffer_size", size_arg(d, "invalid read buffer size '{v}': {e}"))
        elif key == "write_buffer":
            put(t, "write_buffer_size", size_arg(d, "invalid write buffer size '{v}': {e}"))
        elif key == "read_timeout":
            put(t, "read_timeout", duration_arg(d, "invalid read timeout duration '{v}': {e}"))
        elif key == "write_timeout":
            put(t, "write_timeout", duration_arg(d, "invalid write timeout duration '{v}': {e}"))
        elif key == "max_response_header":
            put(t, "max_response_header_size", size_arg(d, "invalid max response header size '{v}': {e}"))
        elif key == "proxy_protocol":
            if not d.next_arg():
                raise d.arg_err()
            if d.val() not in ("v1", "v2"):
                raise d.err(f"invalid proxy protocol version '{d.val()}'")
            t["proxy_protocol"] = d.val()
        elif key == "forward_proxy_url":
            zap_warn("The 'forward_proxy_url' field is deprecated. Use 'network_proxy <url>' instead.")
            if not d.next_arg():
                raise d.arg_err()
            t["network_proxy"] = {"url": d.val(), "from": "url"}
        elif key == "network_proxy":
            if not d.next_arg():
                raise d.arg_err()
            stem = d.val()
            t["network_proxy"] = module_object(unmarshal_module(d, "caddy.network_proxy." + stem), "from", stem)
        elif key == "dial_timeout":
            put(t, "dial_timeout", duration_arg(d, "bad timeout value '{v}': {e}"))
        elif key == "dial_fallback_delay":
            put(t, "dial_fallback_delay", duration_arg(d, "bad fallback delay value '{v}': {e}"))
        elif key == "response_header_timeout":
            put(t, "response_header_timeout", duration_arg(d, "bad timeout value '{v}': {e}"))
        elif key == "expect_continue_timeout":
            put(t, "expect_continue_timeout", duration_arg(d, "bad timeout value '{v}': {e}"))
        elif key == "resolvers":
            _resolvers(d, t)
        elif key == "tls":
            tls()
        elif key == "tls_client_auth":
            tls()
            args = d.remaining_args()
            if len(args) == 1:
                put(t["tls"], "client_certificate_automate", args[0])
            elif len(args) == 2:
                put(t["tls"], "client_certificate_file", args[0])
                put(t["tls"], "client_certificate_key_file", args[1])
            else:
                raise d.arg_err()
        elif key == "tls_insecure_skip_verify":
            if d.next_arg():
                raise d.arg_err()
            tls()["insecure_skip_verify"] = True
        elif key == "tls_curves":
            args = d.remaining_args()
            if not args:
                raise d.arg_err()
            tls()["curves"] = args
        elif key == "tls_timeout":
            dur = duration_arg(d, "bad timeout value '{v}': {e}")
            put(tls(), "handshake_timeout", dur)
        elif key == "tls_trusted_ca_certs":
            zap_warn("The 'tls_trusted_ca_certs' field is deprecated. Use the 'tls_trust_pool' field instead.")
            args = d.remaining_args()
            if not args:
                raise d.arg_err()
            if tls().get("ca"):
                raise d.err("cannot specify both 'tls_trust_pool' and 'tls_trusted_ca_certs")
            t["tls"]["root_ca_pem_files"] = args
        elif key == "tls_server_name":
            if not d.next_arg():
                raise d.arg_err()
            put(tls(), "server_name", d.val())
        elif key == "tls_renegotiation":
            tls()
            if not d.next_arg():
                raise d.arg_err()
            if d.val() not in ("never", "once", "freely"):
                raise d.arg_err()
            t["tls"]["renegotiation"] = d.val()
        elif key == "tls_except_ports":
            ports = d.remaining_args()
            put(tls(), "except_ports", ports)
            if not ports:
                raise d.arg_err()
        elif key == "keepalive":
            if not d.next_arg():
                raise d.arg_err()
            ka = keep_alive()
            if d.val() == "off":
                ka["enabled"] = False
                continue
            try:
                put(ka, "idle_timeout", parse_duration(d.val()))
            except GoValueError as e:
                raise d.err(f"bad duration value '{d.val()}': {e}") from None
        elif key == "keepalive_interval":
            dur = duration_arg(d, "bad interval value '{v}': {e}")
            put(keep_alive(), "probe_interval", dur)
        elif key == "keepalive_idle_conns":
            n = int_arg(d, "bad integer value '{v}': {e}")
            put(keep_alive(), "max_idle_conns", n)
        elif key == "keepalive_idle_conns_per_host":
            n = int_arg(d, "bad integer value '{v}': {e}")
            put(keep_alive(), "max_idle_conns_per_host", n)
        elif key == "versions":
            versions = d.remaining_args()
            put(t, "versions", versions)
            if not versions:
                raise d.arg_err()
        elif key == "compression":
            if d.next_arg() and d.val() == "off":
                t["compression"] = False
        elif key == "max_conns_per_host":
            put(t, "max_conns_per_host", int_arg(d, "bad integer value '{v}': {e}"))
        elif key == "tls_trust_pool":
            if not d.next_arg():
                raise d.arg_err()
            stem = d.val()
            ca = unmarshal_module(d, "tls.ca_pool.source." + stem)
            ca = ca.to_json() if hasattr(ca, "to_json") else ca
            if tls().get("root_ca_pem_files"):
                raise d.err("cannot specify both 'tls_trust_pool' and 'tls_trusted_ca_certs'")
            if "ca" in t["tls"]:
                raise d.err('cannot specify "tls_trust_pool" twice in caddyfile')
            t["tls"]["ca"] = module_object(ca, "provider", stem)
        elif key == "local_address":
            if not d.next_arg():
                raise d.arg_err()
            put(t, "local_address", d.val())
        else:
            raise d.err(f"unrecognized subdirective {key}")
    return t


@module_parser("http.reverse_proxy.transport.fastcgi")
def parse_fastcgi_transport(d: Dispenser) -> dict:
    d.next()
    t: dict[str, Any] = {}
    while d.next_block(0):
        key = d.val()
        if key == "root":
            if not d.next_arg():
                raise d.arg_err()
            put(t, "root", d.val())
        elif key == "split":
            split = d.remaining_args()
            put(t, "split_path", split)
            if not split:
                raise d.arg_err()
        elif key == "env":
            args = d.remaining_args()
            if len(args) != 2:
                raise d.arg_err()
            t.setdefault("env", {})[args[0]] = args[1]
        elif key in ("resolve_root_symlink", "capture_stderr"):
            if d.next_arg():
                raise d.arg_err()
            t[key] = True
        elif key in ("dial_timeout", "read_timeout", "write_timeout"):
            put(t, key, duration_arg(d, "bad timeout value {v}: {e}"))
        else:
            raise d.err(f"unrecognized subdirective {key}")
    return t
