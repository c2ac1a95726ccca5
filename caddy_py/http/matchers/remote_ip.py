"""http.matchers.remote_ip (the connection's peer) and http.matchers.client_ip (the client IP,
which differs only when trusted proxies are configured)."""
from __future__ import annotations

import ipaddress
from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register


def parse_ranges(ranges: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for r in ranges:
        if r in ("private_ranges",):
            out += [ipaddress.ip_network(n) for n in (
                "192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1")]
            continue
        try:
            out.append(ipaddress.ip_network(r, strict=False))
        except ValueError:
            raise ConfigError(f"invalid IP address: '{r}'") from None
    return out


def host_of(addr: str) -> str:
    if addr.startswith("["):
        return addr[1:addr.find("]")]
    if addr.count(":") == 1:
        return addr.split(":", 1)[0]
    return addr


def ip_in(addr: str, nets: list[Any]) -> bool:
    try:
        ip = ipaddress.ip_address(host_of(addr).split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == n.version and ip in n for n in nets)


@register("http.matchers.remote_ip")
class MatchRemoteIP:
    __slots__ = ("nets",)

    def __init__(self, ranges: list[str]) -> None:
        self.nets = parse_ranges(ranges)

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchRemoteIP":
        if not isinstance(cfg, dict):
            raise ConfigError("remote_ip matcher: expected an object")
        return cls(list(cfg.get("ranges") or []))

    def match(self, req: Any) -> bool:
        return ip_in(req.remote_addr, self.nets)


@register("http.matchers.client_ip")
class MatchClientIP(MatchRemoteIP):
    __slots__ = ()

    def match(self, req: Any) -> bool:
        return ip_in(str(req.vars.get("client_ip") or req.remote_addr), self.nets)
