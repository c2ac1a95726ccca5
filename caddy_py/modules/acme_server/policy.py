"""Which identifiers an acme_server may issue for (Caddy's acmeserver.Policy, enforced as
smallstep's X.509 name policy): deny rules win, then allow rules (when any) must match;
wildcard names need `allow_wildcard_names` once any policy is configured.

Domain rules: `example.com` is that name only, `*.example.com` one label below it, and
`.example.com` any name below it. IP rules are CIDR ranges or single addresses.
"""
from __future__ import annotations

import ipaddress
from typing import Any

from caddy_py.config.context import ConfigError


def _ranges(values: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    out = []
    for v in values:
        try:
            out.append(ipaddress.ip_network(v, strict=False))
        except ValueError:
            raise ConfigError(f"cannot parse permitted IP range {v!r}") from None
    return out


class RuleSet:
    def __init__(self, cfg: dict[str, Any] | None) -> None:
        cfg = cfg or {}
        self.domains = [str(d).lower().rstrip(".") for d in cfg.get("domains") or []]
        self.ranges = _ranges([str(r) for r in cfg.get("ip_ranges") or []])

    def __bool__(self) -> bool:
        return bool(self.domains or self.ranges)

    def matches(self, kind: str, value: str) -> bool:
        if kind == "ip":
            ip = ipaddress.ip_address(value)
            return any(ip in r for r in self.ranges)
        name = value.lower().rstrip(".")
        for d in self.domains:
            if d.startswith("*."):
                if name.endswith(d[1:]) and "." not in name[: -len(d) + 1]:
                    return True
            elif d.startswith("."):
                if name.endswith(d) and len(name) > len(d):
                    return True
            elif name == d:
                return True
        return False


class Policy:
    def __init__(self, cfg: dict[str, Any] | None) -> None:
        self.configured = cfg is not None
        cfg = cfg or {}
        self.allow = RuleSet(cfg.get("allow"))
        self.deny = RuleSet(cfg.get("deny"))
        self.allow_wildcards = bool(cfg.get("allow_wildcard_names"))
        # smallstep builds no policy engine at all without rules or the wildcard switch
        self.active = bool(self.allow or self.deny or self.allow_wildcards)

    def unrestricted(self) -> bool:
        return not (self.allow or self.deny)

    def check(self, kind: str, value: str) -> str | None:
        """Why the identifier is not allowed, or None."""
        if not self.active:
            return None
        if kind == "dns" and value.startswith("*.") and not self.allow_wildcards:
            return f"wildcard names are not allowed: {value}"
        checked = value[2:] if kind == "dns" and value.startswith("*.") else value
        if self.deny and self.deny.matches(kind, checked):
            return f"{kind} name {value!r} is not allowed"
        if self.allow and not self.allow.matches(kind, checked):
            return f"{kind} name {value!r} is not allowed"
        return None
