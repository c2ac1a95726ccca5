"""TLS connection policies of a server as the Caddyfile adapter places them (the connection
policy parts of Caddy's httptype.go): client-auth shields, scheme conflicts, consolidation.

A policy is a dict keyed by its JSON names; one dict is shared by every server its site block
lands in (as Go shares the pointer), so it is put in field order only when printed.
"""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile import addresses as addrs
from caddy_py.httpcaddyfile.addresses import DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, ServerBlockPile
from caddy_py.httpcaddyfile.gosort import slice_stable

CONN_POLICY_FIELDS = ("match", "certificate_selection", "cipher_suites", "curves", "alpn", "protocol_min",
                      "protocol_max", "drop", "client_authentication", "default_sni", "fallback_sni",
                      "insecure_secrets_log", "handshake_context")


def port_option(options: dict[str, Any], name: str, default: int) -> str:
    v = options.get(name)
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else str(default)


def settings_empty(cp: dict) -> bool:
    return not any(cp.get(k) not in (None, "") for k in CONN_POLICY_FIELDS if k not in ("match", "drop", "handshake_context"))


def _match_wildcard(host: str, name: str) -> bool:
    """certmagic.MatchWildcard: `*.example.com` matches one label."""
    if host == name:
        return True
    if "*" not in name:
        return False
    hl, nl = host.split("."), name.split(".")
    if len(hl) != len(nl):
        return False
    return all(n == "*" or n == h for h, n in zip(hl, nl))


def hoist_client_auth_shields(policies: list[dict], empty_policies: list[dict]) -> list[dict]:
    wildcards: list[list[str]] = []
    for cp in policies:
        names = (cp.get("match") or {}).get("sni") if cp.get("client_authentication") else None
        wildcards.append([n for n in names if "*" in n] if names else [])
    shielded: list[list[str]] = [[] for _ in policies]
    for ecp in empty_policies:
        for host in (ecp.get("match") or {}).get("sni") or []:
            for i, wc in enumerate(wildcards):
                if any(_match_wildcard(host, n) for n in wc):
                    shielded[i].append(host)
                    break
    out = list(policies)
    for i in range(len(shielded) - 1, -1, -1):
        hosts = shielded[i]
        if not hosts:
            continue
        uniq = []
        for h in sorted(hosts):
            if not uniq or uniq[-1] != h:
                uniq.append(h)
        shield = {k: v for k, v in out[i].items() if k != "client_authentication"}
        shield["match"] = {"sni": uniq}
        out.insert(i, shield)
    return out


def detect_conflicting_schemes(srv: dict, policies: list[dict], blocks: list[ServerBlockPile],
                               options: dict[str, Any]) -> None:
    http_port = port_option(options, "http_port", DEFAULT_HTTP_PORT)
    https_port = port_option(options, "https_port", DEFAULT_HTTPS_PORT)
    listen = "[" + " ".join(srv.get("listen", [])) + "]"
    mode = ""

    def set_http(addr: addrs.Address) -> None:
        nonlocal mode
        if mode == "HTTPS":
            msg = (f"server listening on {listen} is configured for HTTPS and cannot natively multiplex "
                   f"HTTP and HTTPS: {addr.original}")
            if not addr.scheme and not addr.host:
                msg += " (try specifying https:// in the address)"
            raise CaddyfileError(msg)
        if policies:
            raise CaddyfileError(f"server listening on {listen} is HTTP, but attempts to configure TLS connection policies")
        mode = "HTTP"

    def set_https(addr: addrs.Address) -> None:
        nonlocal mode
        if mode == "HTTP":
            raise CaddyfileError(f"server listening on {listen} is configured for HTTP and cannot natively "
                                 f"multiplex HTTP and HTTPS: {addr.original}")
        mode = "HTTPS"

    for sb in blocks:
        for addr in sb.parsed_keys:
            if addr.scheme == "http" or addr.port == http_port:
                set_http(addr)
            elif addr.scheme == "https" or addr.port == https_port or policies:
                set_https(addr)
            elif not addr.host:
                set_http(addr)


def _go_v(v: Any) -> str:
    """Go's %v for the strings and string slices in these messages."""
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(_go_v(x) for x in v) + "]"
    return str(v)


def _merge_field_conflict(a: dict, b: dict, key: str, what: str) -> None:
    va, vb = a.get(key), b.get(key)
    if va and vb and va != vb:
        raise CaddyfileError(f"two policies with same match criteria have conflicting {what}: {_go_v(va)} vs. {_go_v(vb)}")


def consolidate_conn_policies(cps: list[dict]) -> list[dict]:
    """Catch-all policies last, drop duplicates, merge adjacent SNI-only policies with the same
    settings and same-matcher policies whose settings do not conflict."""
    cps = list(cps)
    slice_stable(cps, lambda a, b: b.get("match") is None and a.get("match") is not None)
    i = 0
    while i < len(cps):
        restart = False
        j = 0
        while j < len(cps):
            if j == i:
                j += 1
                continue
            a, b = cps[i], cps[j]
            if a == b:
                del cps[j]
                restart = True
                break
            if (i == j - 1 and len(a.get("match") or {}) == 1 and len(b.get("match") or {}) == 1
                    and "sni" in a["match"] and "sni" in b["match"]):
                sa = {k: v for k, v in a.items() if k != "match"}
                sb_ = {k: v for k, v in b.items() if k != "match"}
                if sa == sb_:
                    a["match"] = {"sni": list(a["match"]["sni"]) + list(b["match"]["sni"])}
                    del cps[j]
                    restart = True
                    break
            if a.get("match") == b.get("match"):
                _merge_field_conflict(a, b, "alpn", "ALPN")
                _merge_field_conflict(a, b, "cipher_suites", "cipher suites")
                if a.get("client_authentication") is None and b.get("client_authentication") is not None \
                        and a.get("client_authentication") != b.get("client_authentication"):
                    raise CaddyfileError("two policies with same match criteria have conflicting client auth configuration")
                _merge_field_conflict(a, b, "curves", "curves")
                _merge_field_conflict(a, b, "default_sni", "default SNI")
                _merge_field_conflict(a, b, "fallback_sni", "fallback SNI")
                _merge_field_conflict(a, b, "protocol_min", "min protocol")
                _merge_field_conflict(a, b, "protocol_max", "max protocol")
                for key in ("alpn", "cipher_suites", "client_authentication", "curves", "default_sni",
                            "fallback_sni", "protocol_min", "protocol_max"):
                    if not a.get(key) and b.get(key):
                        a[key] = b[key]
                ca, cb = a.get("certificate_selection"), b.get("certificate_selection")
                if ca is None and cb is not None:
                    a["certificate_selection"] = cb
                elif ca is not None and cb is not None:
                    tags = list(ca.get("any_tag") or [])
                    for t in cb.get("any_tag") or []:
                        if t not in tags:
                            tags.append(t)
                    if tags:
                        ca["any_tag"] = tags
                del cps[j]
                restart = True
                break
            j += 1
        if restart:
            i -= 1
        i += 1
    return cps
