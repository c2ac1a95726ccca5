"""`caddy_reverse_proxy_upstreams_healthy{upstream}`: 1 or 0 per static upstream of every live
reverse_proxy handler, computed when scraped (Caddy refreshes it every 10 s)."""
from __future__ import annotations

import weakref
from typing import Any, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from caddy_py.http.metrics import REGISTRY

_HANDLERS: "weakref.WeakSet[Any]" = weakref.WeakSet()


class _UpstreamsHealthy(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        fam = GaugeMetricFamily("caddy_reverse_proxy_upstreams_healthy",
                                "Health status of reverse proxy upstreams.", labels=["upstream"])
        seen: dict[str, bool] = {}
        for h in list(_HANDLERS):
            for up in h.upstreams:
                seen[up.dial] = up.healthy()
        for dial in sorted(seen):
            fam.add_metric([dial], 1.0 if seen[dial] else 0.0)
        yield fam


_COLLECTOR = _UpstreamsHealthy()
REGISTRY.register(_COLLECTOR)


def track(handler: Any) -> None:
    _HANDLERS.add(handler)


def untrack(handler: Any) -> None:
    _HANDLERS.discard(handler)
