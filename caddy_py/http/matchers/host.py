"""http.matchers.host: exact or `*`-label wildcard host names, case-insensitive."""
from __future__ import annotations

from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register


def request_host(hostport: str) -> str:
    """The host part of a Host header value (brackets of IPv6 removed)."""
    if hostport.startswith("["):
        end = hostport.find("]")
        return hostport[1:end] if end > 0 else hostport[1:]
    if hostport.count(":") == 1:
        return hostport.split(":", 1)[0]
    return hostport


@register("http.matchers.host")
class MatchHost:
    __slots__ = ("exact", "fuzzy")

    def __init__(self, hosts: list[str]) -> None:
        self.exact: set[str] = set()
        self.fuzzy: list[str] = []
        seen: dict[str, int] = {}
        for i, h in enumerate(hosts):
            try:
                ascii_h = h.encode("idna").decode() if not h.isascii() else h
            except UnicodeError as e:
                raise ConfigError(f"converting hostname '{h}' to ASCII: {e}") from None
            low = ascii_h.lower()
            if low in seen:
                raise ConfigError(f"host at index {seen[low]} is repeated at index {i}: {h}")
            seen[low] = i
            if "{" in h or "*" in h:
                self.fuzzy.append(ascii_h)
            else:
                self.exact.add(low)

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchHost":
        return cls(list(cfg or []))

    def match(self, req: Any) -> bool:
        host = request_host(req.host)
        if host.lower() in self.exact:
            return True
        for pattern in self.fuzzy:
            if "{" in pattern:
                pattern = req.replacer.replace_all(pattern, "")
            if "*" in pattern:
                pp = pattern.split(".")
                hp = host.split(".")
                if len(pp) == len(hp) and all(p == "*" or p.lower() == h.lower() for p, h in zip(pp, hp)):
                    return True
            elif pattern.lower() == host.lower():
                return True
        return False
