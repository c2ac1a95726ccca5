"""Go's %#v text for the config values Caddy puts in error messages (route's "returned something
other than an HTTP route" error). Pointers print as made-up addresses: where Go prints a real
pointer the text cannot match byte for byte anyway.
"""
from __future__ import annotations

from typing import Any

from caddy_py import gojson


def go_quote(s: str) -> str:
    """%q of a Go string (strconv.Quote) for printable text."""
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def go_strings(values: list[str] | None) -> str:
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def go_raw_message(obj: Any) -> str:
    data = gojson.dumps(obj).encode()
    return "json.RawMessage{" + ", ".join("0x%02x" % b for b in data) + "}"


_CONTEXT = ("caddy.Context{Context:context.Context(nil), moduleInstances:map[string][]caddy.Module(nil), "
            "cfg:(*caddy.Config)(nil), ancestry:[]caddy.Module(nil), cleanupFuncs:[]func()(nil), "
            "exitFuncs:[]func(context.Context)(nil), metricsRegistry:(*prometheus.Registry)(nil)}")


def go_route(route: Any) -> str:
    if route.matcher_sets:
        sets = ", ".join("caddy.ModuleMap{" + ", ".join(f"{go_quote(k)}:{go_raw_message(ms[k])}" for k in sorted(ms))
                         + "}" for ms in route.matcher_sets)
        matchers = "caddyhttp.RawMatcherSets{" + sets + "}"
    else:
        matchers = "caddyhttp.RawMatcherSets(nil)"
    handlers = ("[]json.RawMessage{" + ", ".join(go_raw_message(h) for h in route.handlers) + "}"
                if route.handlers else "[]json.RawMessage(nil)")
    return (f"caddyhttp.Route{{Group:{go_quote(route.group)}, MatcherSetsRaw:{matchers}, HandlersRaw:{handlers}, "
            f"Terminal:{'true' if route.terminal else 'false'}, MatcherSets:caddyhttp.MatcherSets(nil), "
            "Handlers:[]caddyhttp.MiddlewareHandler(nil), middleware:[]caddyhttp.Middleware(nil), "
            f"metrics:(*caddyhttp.Metrics)(nil), metricsCtx:{_CONTEXT}, handlerName:\"\"}}")


def go_value(value: Any) -> str:
    """%#v of a ConfigValue's value, for the kinds the adapter produces."""
    from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
    from caddy_py.httpcaddyfile.logging import NamedCustomLog
    from caddy_py.httpcaddyfile.routes import Subroute
    from caddy_py.httpcaddyfile.tlsmodels import InternalIssuer

    if isinstance(value, AddressesWithProtocols):
        return (f"httpcaddyfile.addressesWithProtocols{{addresses:{go_strings(value.addresses)}, "
                f"protocols:{go_strings(value.protocols)}}}")
    if isinstance(value, NamedCustomLog):
        log = "(*caddy.CustomLog)(nil)" if value.log is None else "(*caddy.CustomLog)(0xc000010000)"
        return (f"httpcaddyfile.namedCustomLog{{name:{go_quote(value.name)}, hostnames:{go_strings(value.hostnames)}, "
                f"log:{log}, noHostname:{'true' if value.no_hostname else 'false'}}}")
    if isinstance(value, Subroute):
        routes = "caddyhttp.RouteList{" + ", ".join(go_route(r) for r in value.routes) + "}"
        return f"&caddyhttp.Subroute{{Routes:{routes}, Errors:(*caddyhttp.HTTPErrorConfig)(nil)}}"
    if isinstance(value, InternalIssuer):
        return (f"&caddytls.InternalIssuer{{CA:{go_quote(value.ca)}, Lifetime:{value.lifetime}, "
                f"SignWithRoot:{'true' if value.sign_with_root else 'false'}, ca:(*caddypki.CA)(nil), "
                "logger:(*zap.Logger)(nil)}")
    if isinstance(value, str):
        return go_quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _v_bytes(obj: Any) -> str:
    """%v of a json.RawMessage: its bytes as decimal numbers."""
    if obj is None:
        return "[]"
    return "[" + " ".join(str(b) for b in gojson.dumps(obj).encode()) + "]"


def go_client_auth_v(ca: Any) -> str:
    """%v of a *caddytls.ClientAuthentication, given its JSON (dict) or None; Caddy prints it in
    "two policies with same match criteria have conflicting client auth configuration: A vs. B"."""
    if ca is None:
        return "<nil>"
    if hasattr(ca, "to_json"):
        ca = ca.to_json()
    verifiers = "[" + " ".join(_v_bytes(v) for v in ca.get("verifiers") or []) + "]"
    return ("&{CARaw:" + _v_bytes(ca.get("ca")) + " ca:<nil>"
            + " TrustedCACerts:[" + " ".join(ca.get("trusted_ca_certs") or []) + "]"
            + " TrustedCACertPEMFiles:[" + " ".join(ca.get("trusted_ca_certs_pem_files") or []) + "]"
            + " TrustedLeafCerts:[" + " ".join(ca.get("trusted_leaf_certs") or []) + "]"
            + " VerifiersRaw:" + verifiers + " verifiers:[]"
            + " Mode:" + (ca.get("mode") or "") + " existingVerifyPeerCert:<nil>}")
