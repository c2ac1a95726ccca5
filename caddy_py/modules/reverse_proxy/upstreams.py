"""Dynamic upstream sources (`http.reverse_proxy.upstreams.*`): `a` (A/AAAA through the system
resolver, or the configured `resolver` addresses), `srv` (SRV records, in Go's priority/weight
order), `multi` (the union of other sources). Answers are cached for `refresh`; a failed SRV
lookup keeps the previous answer for `grace_period`. On a lookup error the handler falls back
to its static upstreams, as Caddy does.
"""
from __future__ import annotations

import asyncio
import random
import socket
import time
from typing import TYPE_CHECKING, Any

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import lookup, register

from .dns import AAAA, SRV, A, DNSError, SRVRecord, parse_resolver_address, query, system_nameservers
from .hosts import Upstream

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request


def load_source(cfg: dict[str, Any], ctx: Any = None) -> Any:
    src = cfg.get("source", "")
    cls = lookup(f"http.reverse_proxy.upstreams.{src}")
    if cls is None:
        raise ValueError(f"unknown module: http.reverse_proxy.upstreams.{src}")
    return cls.from_json(cfg, ctx)


@register("http.reverse_proxy.upstreams.a")
class AUpstreams:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.name = str(cfg.get("name", ""))
        self.port = str(cfg.get("port") or "80")
        self.refresh = seconds(cfg.get("refresh"), 60.0)
        versions = cfg.get("versions") or {}
        both = versions.get("ipv4") is None and versions.get("ipv6") is None
        self.families: list[int] = []
        if both or versions.get("ipv4"):
            self.families.append(socket.AF_INET)
        if both or versions.get("ipv6"):
            self.families.append(socket.AF_INET6)
        self._cache: dict[str, tuple[float, list[Upstream]]] = {}
        self.servers = _resolver(cfg)

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "AUpstreams":
        return cls(cfg)

    async def get_upstreams(self, req: "Request") -> list[Upstream]:
        name = req.replacer.replace_all(self.name, "")
        port = req.replacer.replace_all(self.port, "")
        key = f"{name}:{port}"
        cached = self._cache.get(key)
        if cached and time.monotonic() - cached[0] < self.refresh:
            return cached[1]
        seen: list[str] = []
        if self.servers:
            failure: DNSError | None = None
            for qtype, fam in ((A, socket.AF_INET), (AAAA, socket.AF_INET6)):
                if fam in self.families:
                    try:
                        seen += [str(ip) for ip in await query(name, qtype, self.servers)]
                    except DNSError as e:  # like Go: fine as long as one family answers
                        failure = e
            if not seen and failure is not None:
                raise failure
        else:
            infos = await asyncio.get_running_loop().getaddrinfo(name, None, type=socket.SOCK_STREAM)
            for fam, _, _, _, addr in infos:
                if fam in self.families and addr[0] not in seen:
                    seen.append(str(addr[0]))
        ups = [Upstream(dial=f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}") for ip in seen]
        self._cache[key] = (time.monotonic(), ups)
        return ups

    def reset_cache(self) -> None:
        self._cache.clear()


def _resolver(cfg: dict[str, Any]) -> list[tuple[str, int]] | None:
    addrs = (cfg.get("resolver") or {}).get("addresses") or []
    return [parse_resolver_address(a) for a in addrs] or None


def _srv_order(records: list[SRVRecord]) -> list[SRVRecord]:
    """Go's LookupSRV order: by priority, weighted-random within a priority (RFC 2782)."""
    out: list[SRVRecord] = []
    for prio in sorted({r.priority for r in records}):
        group = [r for r in records if r.priority == prio]
        while group:
            total = sum(r.weight for r in group)
            pick = random.randint(0, total) if total else 0
            acc = 0
            for i, r in enumerate(group):
                acc += r.weight
                if acc >= pick:
                    out.append(group.pop(i))
                    break
    return out


@register("http.reverse_proxy.upstreams.srv")
class SRVUpstreams:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.service = str(cfg.get("service", ""))
        self.proto = str(cfg.get("proto", ""))
        self.name = str(cfg.get("name", ""))
        self.refresh = seconds(cfg.get("refresh"), 60.0)
        self.grace_period = seconds(cfg.get("grace_period"))
        self.dial_network = str(cfg.get("dial_network", ""))
        self.servers = _resolver(cfg)
        self._cache: dict[str, tuple[float, list[Upstream]]] = {}

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "SRVUpstreams":
        return cls(cfg)

    def _lookup_name(self, req: "Request") -> str:
        name = req.replacer.replace_all(self.name, "")
        if not self.service and not self.proto:
            return name
        service = req.replacer.replace_all(self.service, "")
        proto = req.replacer.replace_all(self.proto, "")
        return f"_{service}._{proto}.{name}"

    async def get_upstreams(self, req: "Request") -> list[Upstream]:
        key = self._lookup_name(req)
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached and now - cached[0] < self.refresh:
            return [Upstream(dial=u.dial) for u in cached[1]]
        try:
            records = await query(key, SRV, self.servers or system_nameservers())
        except DNSError:
            if cached and self.grace_period > 0:
                self._cache[key] = (now - self.refresh + self.grace_period, cached[1])
                return [Upstream(dial=u.dial) for u in cached[1]]
            raise
        ups = []
        for r in _srv_order([r for r in records if isinstance(r, SRVRecord)]):
            dial = f"{r.target}:{r.port}"
            ups.append(Upstream(dial=f"{self.dial_network}/{dial}" if self.dial_network else dial))
        self._cache[key] = (now, ups)
        return [Upstream(dial=u.dial) for u in ups]

    def reset_cache(self) -> None:
        self._cache.clear()


@register("http.reverse_proxy.upstreams.multi")
class MultiUpstreams:
    def __init__(self, sources: list[Any]) -> None:
        self.sources = sources

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "MultiUpstreams":
        return cls([load_source(s, ctx) for s in cfg.get("sources") or []])

    async def get_upstreams(self, req: "Request") -> list[Upstream]:
        out: list[Upstream] = []
        for s in self.sources:
            try:
                out += await s.get_upstreams(req)
            except Exception:  # noqa: BLE001 - one failing source does not sink the rest
                continue
        return out
