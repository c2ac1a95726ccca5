"""The client IP of a request (Caddy's determineTrustedProxy): the peer address, or, when the
peer is a trusted proxy (`trusted_proxies` of the server, static ranges), the address taken from
`client_ip_headers` (default X-Forwarded-For) — the first valid one, or with
`trusted_proxies_strict` the right-most one that is not itself trusted.

The server stores the result as `req.vars["client_ip"]` and `req.vars["trusted_proxy"]`.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.http.matchers.remote_ip import parse_ranges

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    host = text.strip()
    if host.startswith("["):
        host = host[1:host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    host = host.split("%", 1)[0].strip()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: Any, nets: list[Network]) -> bool:
    return any(ip.version == n.version and ip in n for n in nets)


class ClientIPPolicy:
    def __init__(self, server_cfg: dict[str, Any]) -> None:
        tp = server_cfg.get("trusted_proxies")
        self.nets: list[Network] | None = None
        if tp:
            source = tp.get("source", "")
            if source != "static":
                raise ConfigError(f"trusted_proxies source '{source}' is not supported by caddy-py")
            self.nets = parse_ranges(list(tp.get("ranges") or []))
        self.headers = list(server_cfg.get("client_ip_headers") or ["X-Forwarded-For"])
        self.strict = bool(server_cfg.get("trusted_proxies_strict"))

    def resolve(self, remote_host: str, headers: Any) -> tuple[bool, str]:
        """(peer is a trusted proxy, client IP)."""
        if self.nets is None and remote_host.count(":") == 1:
            return False, remote_host.split(":", 1)[0]  # the common IPv4 peer: no parsing
        ip = _parse_ip(remote_host)
        if ip is None:
            return False, ""
        if self.nets is None or not _trusted(ip, self.nets):
            return False, str(ip)
        if self.strict:
            for field in self.headers:
                parts = ",".join(headers.getall(field, [])).split(",")
                for part in reversed(parts):
                    cand = _parse_ip(part)
                    if cand is not None and not _trusted(cand, self.nets):
                        return True, str(cand)
            return True, str(ip)
        values = [v for field in self.headers for v in headers.getall(field, [])]
        for part in ",".join(values).split(","):
            cand = _parse_ip(part)
            if cand is not None:
                return True, str(cand)
        return True, str(ip)
