"""Upstream state. A `Host` holds what Caddy shares per dial address across every
reverse_proxy handler of the process (request count, recent passive failures): two routes that
proxy to the same address see each other's failures (RUNTIME-NOTES 3). Hosts live in a
reference-counted pool so config reloads keep the state while an address stays in use.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from caddy_py.config.usagepool import pool


@dataclass
class Host:
    num_requests: int = 0
    fails: int = 0


HOSTS = pool("reverse_proxy.hosts")


def acquire_host(key: str) -> Host:
    return HOSTS.load_or_store(key, Host())[0]


async def release_host(key: str) -> None:
    await HOSTS.delete(key)


# dynamic upstreams are not reference counted (Caddy keeps them while recently seen)
_DYNAMIC: dict[str, Host] = {}


def dynamic_host(key: str) -> Host:
    return _DYNAMIC.setdefault(key, Host())


@dataclass(eq=False)
class Upstream:
    """One configured upstream of one handler, bound to its shared `Host`."""

    dial: str
    max_requests: int = 0
    host: Host = field(default_factory=Host)
    max_fails: int = 0  # from the passive policy (0 = passive checks off)
    # active health state is per handler (Caddy keeps it on the Upstream, not the Host)
    unhealthy: bool = False
    active_passes: int = 0
    active_fails: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, cfg: dict[str, Any]) -> "Upstream":
        return cls(dial=str(cfg.get("dial", "")), max_requests=int(cfg.get("max_requests", 0) or 0))

    def __str__(self) -> str:
        return self.dial

    def healthy(self) -> bool:
        if self.unhealthy:
            return False
        if self.max_fails > 0 and self.host.fails >= self.max_fails:
            return False
        return True

    def full(self) -> bool:
        return self.max_requests > 0 and self.host.num_requests >= self.max_requests

    def available(self) -> bool:
        return self.healthy() and not self.full()


def forget_failure_later(host: Host, delay: float, tasks: set[asyncio.Task[None]]) -> None:
    """Count one failure now and forget it after `delay` seconds (passive health checks)."""
    host.fails += 1

    async def forget() -> None:
        try:
            await asyncio.sleep(delay)
        finally:
            host.fails = max(0, host.fails - 1)

    task = asyncio.get_running_loop().create_task(forget())
    tasks.add(task)
    task.add_done_callback(tasks.discard)


def upstream_statuses() -> list[dict[str, Any]]:
    """What Caddy's admin endpoint GET /reverse_proxy/upstreams lists: every static upstream
    address in use, with its in-flight request count and recent passive failures."""
    return [{"address": addr, "num_requests": h.num_requests, "fails": h.fails}
            for addr, h in HOSTS.items()]
