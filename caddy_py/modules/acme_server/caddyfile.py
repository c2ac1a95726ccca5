"""Caddyfile parser of acme_server (Caddy's caddypki/acmeserver/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_duration
from caddy_py.httpcaddyfile.pkiapp import CA
from caddy_py.httpcaddyfile.registry import ConfigValue, directive


def _rule_set(h: Helper, which: str) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    nesting = h.nesting
    while h.next_block(nesting):
        if h.count_remaining_args() == 0:
            raise h.arg_err()
        key = h.val()
        if key not in ("domains", "ip_ranges"):
            raise h.err(f"unrecognized '{which}' subdirective: {key}")
        rules.setdefault(key, []).extend(h.remaining_args())
    return rules


@directive("acme_server")
def parse_acme_server(h: Helper) -> list[ConfigValue]:
    h.next()
    matcher_set = h.extract_matcher_set()
    h.next()
    if h.next_arg():
        raise h.arg_err()
    server: dict[str, Any] = {"handler": "acme_server"}
    ca: CA | None = None
    while h.next_block(0):
        key = h.val()
        if key == "ca":
            args = h.all_args(1)
            if args is None:
                raise h.arg_err()
            server.pop("ca", None)
            if args[0]:
                server["ca"] = args[0]
            ca = ca or CA()
            ca.id = args[0]
        elif key == "lifetime":
            if not h.next_arg():
                raise h.arg_err()
            try:
                lifetime = parse_duration(h.val())
            except GoValueError as e:  # returned unwrapped in Go
                raise CaddyfileError(str(e)) from None
            server.pop("lifetime", None)
            if lifetime:
                server["lifetime"] = lifetime
        elif key == "resolvers":
            resolvers = h.remaining_args()
            if not resolvers:
                raise h.err("must specify at least one resolver address")
            server["resolvers"] = resolvers
        elif key == "challenges":
            server.setdefault("challenges", []).extend(h.remaining_args())
            if not server["challenges"]:
                del server["challenges"]
        elif key == "allow_wildcard_names":
            server.setdefault("policy", {})["allow_wildcard_names"] = True
        elif key in ("allow", "deny"):
            rules = _rule_set(h, key)
            server.setdefault("policy", {})[key] = rules
        elif key == "sign_with_root":
            if h.next_arg():
                raise h.arg_err()
            server["sign_with_root"] = True
        else:
            raise h.err(f"unrecognized ACME server directive: {key}")
    values = h.new_route(matcher_set, server)
    if ca is not None:
        values.append(ConfigValue("pki.ca", ca))
    return values
