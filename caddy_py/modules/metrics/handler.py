"""`http.handlers.metrics`: serves the Prometheus exposition of our metrics registry (text
format 0.0.4, or OpenMetrics when the client asks and `disable_openmetrics` is not set; gzip
when accepted). Like promhttp's instrumented handler, it counts its own scrapes."""
from __future__ import annotations

from typing import Any

from aiohttp import web
from prometheus_client import Counter, Gauge

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.metrics import exposition, registry_for
from caddy_py.http.request import Request

_SCRAPES: Counter | None = None
_SCRAPES_IN_FLIGHT: Gauge | None = None


def _scrape_metrics(registry: Any) -> tuple[Counter, Gauge]:
    global _SCRAPES, _SCRAPES_IN_FLIGHT
    if _SCRAPES is None or _SCRAPES_IN_FLIGHT is None:
        _SCRAPES = Counter("promhttp_metric_handler_requests", "Total number of scrapes by HTTP status code.",
                           ["code"], registry=registry)
        _SCRAPES_IN_FLIGHT = Gauge("promhttp_metric_handler_requests_in_flight",
                                   "Current number of scrapes being served.", registry=registry)
    return _SCRAPES, _SCRAPES_IN_FLIGHT


@register("http.handlers.metrics")
class MetricsHandler:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.openmetrics = not cfg.get("disable_openmetrics")
        self.registry: Any = None

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "MetricsHandler":
        return cls(cfg or {})

    def provision(self, ctx: Any) -> None:
        self.registry = registry_for(ctx)
        _scrape_metrics(self.registry)

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        scrapes, in_flight = _scrape_metrics(self.registry)
        in_flight.inc()
        try:
            body, headers = exposition(self.registry, req.headers.get("Accept", ""),
                                       req.headers.get("Accept-Encoding", ""), self.openmetrics)
        finally:
            in_flight.dec()
        scrapes.labels(code="200").inc()
        return web.Response(body=body, headers=headers)
