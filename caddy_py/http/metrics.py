"""Caddy's HTTP metrics (prometheus-client), enabled by `apps.http.metrics`.

One registry (`REGISTRY` = prometheus-client's default, also `registry_for(ctx)`) holds process
metrics, Caddy's admin and config-reload metrics, the HTTP metrics below and other modules'
metrics; the `metrics` handler and the admin `/metrics` endpoint both render it
(`exposition(registry, accept, accept_encoding)` negotiates OpenMetrics and gzip).

Caddy instruments each matched *top-level* route once (named `handler` after the module of the
route's first handler), timing the rest of the chain. For the server core, after provisioning:

    attach(server, http_app_cfg.get("metrics"))   # wraps the first handler of each top-level route

(`server` needs `.name`, `.cfg` (its JSON) and `.routes.routes[i].handlers`.) The lower-level
`HTTPMetrics(cfg).serve_route(server_name, handler_name, req, run)` does one observation.
Also for the core: `ADMIN_REQUESTS`/`ADMIN_ERRORS` (caddy_admin_*), `config_reloaded(ok)`.
"""
from __future__ import annotations

import gzip
import time
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder

from caddy_py.http.handler import HandlerError
from caddy_py.logs.access import BODY_BYTES, track_body_bytes

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

    from caddy_py.http.request import Request

disable_created_metrics()  # Go's client exposes no `_created` series; keep scrapes alike

_METHODS = {"GET", "HEAD", "PUT", "POST", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # prometheus.DefBuckets
SIZE_BUCKETS = tuple(256.0 * 4 ** i for i in range(8))  # ExponentialBuckets(256, 4, 8)

# process-wide, registered into every config's registry (as Caddy's package-level collectors)
ADMIN_REQUESTS = Counter("caddy_admin_http_requests_total",
                         "Counter of requests made to the Admin API's HTTP endpoints.",
                         ["handler", "path", "code", "method"], registry=None)
ADMIN_ERRORS = Counter("caddy_admin_http_request_errors_total",
                       "Number of requests resulting in middleware errors.",
                       ["handler", "path", "method"], registry=None)
CONFIG_SUCCESS = Gauge("caddy_config_last_reload_successful",
                       "Whether the last configuration reload attempt was successful.", registry=None)
CONFIG_SUCCESS_TIME = Gauge("caddy_config_last_reload_success_timestamp_seconds",
                            "Timestamp of the last successful configuration reload.", registry=None)


def sanitize_code(status: int) -> str:
    return "200" if status in (0, 200) else str(status)


def sanitize_method(method: str) -> str:
    up = method.upper()
    return up if up in _METHODS and method in (up, method.lower()) else "OTHER"


def config_reloaded(ok: bool) -> None:
    CONFIG_SUCCESS.set(1 if ok else 0)
    if ok:
        CONFIG_SUCCESS_TIME.set(time.time())


# prometheus-client's default registry (it already carries the process collector), shared with
# the other modules that register there (websocket_notifier) and with the admin `/metrics`
REGISTRY = prometheus_client.REGISTRY
for _c in (ADMIN_REQUESTS, ADMIN_ERRORS, CONFIG_SUCCESS, CONFIG_SUCCESS_TIME):
    REGISTRY.register(_c)


def registry_for(ctx: Any = None) -> CollectorRegistry:
    """The registry scraped by `metrics` handlers and admin `/metrics`.

    One per process rather than Caddy's one per config: HTTP series then survive a reload
    (Caddy starts them from zero) and no config can register a name twice.
    """
    return REGISTRY


def exposition(registry: CollectorRegistry, accept: str = "", accept_encoding: str = "",
               openmetrics: bool = True) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a scrape (OpenMetrics when asked for and allowed; gzip when accepted)."""
    encoder, ctype = choose_encoder(accept if openmetrics else "")
    body = encoder(registry)
    headers = {"Content-Type": ctype}
    if "gzip" in accept_encoding.lower():
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return body, headers


def _host_matchers(routes: list[Any]) -> list[str]:
    out = []
    for route in routes or []:
        for mset in (route or {}).get("match") or []:
            out.extend(str(h) for h in (mset or {}).get("host") or [])
    return out


def approximate_request_size(req: "Request") -> int:
    """promhttp's computeApproximateRequestSize over the request as handled (after rewrites)."""
    raw = req.raw
    n = len(req.path) + (len(req.raw_query) + 1 if req.raw_query else 0)
    n += len(req.method) + len(f"HTTP/{raw.version.major}.{raw.version.minor}")
    for k, v in req.headers.items():
        if k.lower() != "host":
            n += len(k) + len(v)
    n += len(req.host or "")
    cl = raw.content_length
    if cl is not None:
        n += cl
    return n


def response_body_size(req: "Request", resp: Any) -> int:
    body = getattr(resp, "body", None)
    if isinstance(body, (bytes, bytearray)):
        return len(body)
    size = req.state.get(BODY_BYTES)  # counted on the wire for streamed bodies
    if isinstance(size, int):
        return size
    return resp.content_length or 0 if resp is not None else 0


class _Families:
    """The HTTP metric families of one label layout (with or without `host`)."""

    def __init__(self, per_host: bool, r: CollectorRegistry) -> None:
        basic = ["server", "handler"] + (["host"] if per_host else [])
        full = ["server", "handler", "code", "method"] + (["host"] if per_host else [])
        self.in_flight = Gauge("caddy_http_requests_in_flight", "Number of requests currently handled by this server.",
                               basic, registry=r)
        self.errors = Counter("caddy_http_request_errors", "Number of requests resulting in middleware errors.",
                              basic, registry=r)
        self.count = Counter("caddy_http_requests", "Counter of HTTP(S) requests made.", basic, registry=r)
        self.duration = Histogram("caddy_http_request_duration_seconds", "Histogram of round-trip request durations.",
                                  full, registry=r, buckets=DURATION_BUCKETS)
        self.req_size = Histogram("caddy_http_request_size_bytes", "Total size of the request. Includes body",
                                  full, registry=r, buckets=SIZE_BUCKETS)
        self.resp_size = Histogram("caddy_http_response_size_bytes", "Size of the returned response.",
                                   full, registry=r, buckets=SIZE_BUCKETS)
        self.ttfb = Histogram("caddy_http_response_duration_seconds",
                              "Histogram of times to first byte in response bodies.",
                              full, registry=r, buckets=DURATION_BUCKETS)

    def unregister(self, r: CollectorRegistry) -> None:
        for c in (self.in_flight, self.errors, self.count, self.duration, self.req_size, self.resp_size, self.ttfb):
            r.unregister(c)


_families: dict[bool, _Families] = {}


def _families_for(per_host: bool) -> _Families:
    """The registered families for this layout; switching layout replaces the other one."""
    fam = _families.get(per_host)
    if fam is None:
        other = _families.pop(not per_host, None)
        if other is not None:
            other.unregister(REGISTRY)
        fam = _families[per_host] = _Families(per_host, REGISTRY)
    return fam


class HTTPMetrics:
    """The http app's `metrics`: per_host, observe_catchall_hosts (otlp is not supported)."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.per_host = bool(cfg.get("per_host"))
        self.observe_catchall = bool(cfg.get("observe_catchall_hosts"))
        self.allowed_hosts: set[str] = set()
        self.has_https_server = False
        fam = _families_for(self.per_host)
        self.in_flight, self.errors, self.count = fam.in_flight, fam.errors, fam.count
        self.duration, self.req_size, self.resp_size, self.ttfb = fam.duration, fam.req_size, fam.resp_size, fam.ttfb

    def scan_server(self, srv_cfg: dict[str, Any]) -> None:
        """Hosts named by (non-wildcard) host matchers get their own `host` label."""
        if srv_cfg.get("tls_connection_policies") is not None:
            self.has_https_server = True
        for host in _host_matchers(srv_cfg.get("routes") or []):
            if "*" not in host and "{" not in host:
                self.allowed_hosts.add(host.lower())

    def host_label(self, host: str, is_https: bool) -> str:
        h = host.lower()
        if h in self.allowed_hosts or self.observe_catchall or (is_https and self.has_https_server):
            return h
        return "_other"

    async def serve_route(self, server: str, handler: str, req: "Request",
                          run: Callable[["Request"], Awaitable["web.StreamResponse"]]) -> "web.StreamResponse":
        labels = {"server": server or "UNKNOWN", "handler": handler}
        if self.per_host:
            labels["host"] = self.host_label(req.host or "", req.scheme == "https")
        status_labels = dict(labels, method=sanitize_method(req.method), code="")
        in_flight = self.in_flight.labels(**labels)
        in_flight.inc()
        start = time.perf_counter()

        def headers_out(resp: Any) -> None:
            track_body_bytes(req)
            if status_labels["code"] == "":
                status_labels["code"] = sanitize_code(resp.status)
                self.ttfb.labels(**status_labels).observe(time.perf_counter() - start)

        req.on_prepare.append(headers_out)
        try:
            resp = await run(req)
        except HandlerError as e:
            in_flight.dec()
            self.count.labels(**labels).inc()
            self._observe(status_labels, e.status, time.perf_counter() - start, req, None)
            self.errors.labels(**labels).inc()
            raise
        except BaseException:
            in_flight.dec()
            self.count.labels(**labels).inc()
            self.errors.labels(**labels).inc()
            raise
        in_flight.dec()
        self.count.labels(**labels).inc()
        if status_labels["code"] == "" and resp is not None:
            # returned but not yet sent: its headers go out right now, as the server prepares it
            headers_out(resp)
        self._observe(status_labels, resp.status if resp is not None else 0, time.perf_counter() - start, req, resp)
        return resp

    def _observe(self, status_labels: dict[str, str], status: int, dur: float, req: "Request", resp: Any) -> None:
        if status_labels["code"] == "":
            status_labels["code"] = sanitize_code(status)
        self.duration.labels(**status_labels).observe(dur)
        self.req_size.labels(**status_labels).observe(approximate_request_size(req))
        self.resp_size.labels(**status_labels).observe(response_body_size(req, resp) if resp is not None else 0)


class _InstrumentedRoute:
    """Stands in for a route's first handler and times the chain from there on."""

    __slots__ = ("inner", "metrics", "server", "handler")

    def __init__(self, inner: Any, metrics: HTTPMetrics, server: str, handler: str) -> None:
        self.inner = inner
        self.metrics = metrics
        self.server = server
        self.handler = handler

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def serve(self, req: "Request", next: Any) -> "web.StreamResponse":
        return await self.metrics.serve_route(self.server, self.handler, req, lambda r: self.inner.serve(r, next))


def module_name(handler: Any) -> str:
    mid = getattr(handler, "module_id", "") or type(handler).__name__
    return mid.rsplit(".", 1)[-1]


def attach(server: Any, metrics_cfg: dict[str, Any] | None) -> HTTPMetrics | None:
    """Instrument `server`'s top-level routes when metrics are on (app-level or the deprecated
    per-server `metrics`); returns the HTTPMetrics used, or None when metrics are off."""
    srv_cfg = getattr(server, "cfg", None) or {}
    per_server = srv_cfg.get("metrics")
    if metrics_cfg is None and per_server is None:
        return None
    cfg = dict(metrics_cfg or {})
    if per_server is not None and (per_server or {}).get("per_host"):
        cfg["per_host"] = True
    m = HTTPMetrics(cfg)
    m.scan_server(srv_cfg)
    for route in getattr(server.routes, "routes", []):
        if route.handlers and not isinstance(route.handlers[0], _InstrumentedRoute):
            first = route.handlers[0]
            route.handlers[0] = _InstrumentedRoute(first, m, server.name, module_name(first))
    return m
