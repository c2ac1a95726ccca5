"""Dynamic upstream sources (`http.reverse_proxy.upstreams.*`): `a` (A/AAAA lookups through the
system resolver, cached for `refresh`), `multi` (the union of other sources). `srv` is accepted
but needs a DNS SRV client, which the standard library lacks: lookups fail and the handler
falls back to its static upstreams, as Caddy does on lookup errors.
"""
from __future__ import annotations

import asyncio
import socket
import time
from typing import TYPE_CHECKING, Any

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import lookup, register

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
        self.families: list[int] = []
        if versions.get("ipv4", True) is not False or not versions:
            self.families.append(socket.AF_INET)
        if versions.get("ipv6", True) is not False or not versions:
            self.families.append(socket.AF_INET6)
        self._cache: dict[str, tuple[float, list[Upstream]]] = {}

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
        infos = await asyncio.get_running_loop().getaddrinfo(name, None, type=socket.SOCK_STREAM)
        seen: list[str] = []
        for fam, _, _, _, addr in infos:
            if fam in self.families and addr[0] not in seen:
                seen.append(str(addr[0]))
        ups = [Upstream(dial=f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}") for ip in seen]
        self._cache[key] = (time.monotonic(), ups)
        return ups

    def reset_cache(self) -> None:
        self._cache.clear()


@register("http.reverse_proxy.upstreams.srv")
class SRVUpstreams:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "SRVUpstreams":
        return cls(cfg)

    async def get_upstreams(self, req: "Request") -> list[Upstream]:
        raise LookupError("SRV lookups are not supported by this build")


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
