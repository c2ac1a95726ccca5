"""Prometheus metrics of every running notifier, computed at scrape time (§10, §13.12).

A custom collector reads the hubs' counters and gauges when scraped, so nothing is updated on
the hot path and every series of a provisioned upstream exists from the start at 0.
"""
from __future__ import annotations

from typing import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

PREFIX = "caddy_websocket_notifier_"
_registered = False

# counter name -> (Counters attribute, help)
COUNTERS = {
    "event_sent": ("event_sent", "The number of event sent to websocket subscribers"),
    "event_requested": ("event_requested", "The number of event requested from backend"),
    "subscribe_requested": ("subscribe_requested",
                            "The number of channel subscribe received from websocket subscribers"),
    "websocket_inbound_bytes": ("inbound_bytes", "Total websocket inbound message size"),
    "websocket_outbound_bytes": ("outbound_bytes", "Total websocket outbound message size"),
    "websocket_outbound_compressed_bytes": ("outbound_compressed_bytes",
                                            "Total websocket outbound compressed message size"),
    "worker_throttled": ("throttled", "The number of slow subscribers closed with 1013"),
    "slow_consumer_closed": ("throttled", "Subscribers closed with 1013 because their queue overflowed"),
    "subscribe_timeout": ("subscribe_timeout", "Subscribe requests the backend did not answer in time"),
    "request_rejected": ("limit_rejects", "Subscribe requests rejected by a resource limit"),
    "rate_limited": ("rate_limited", "Connections closed with 1008 for exceeding max_requests_per_second"),
    "backend_malformed": ("backend_malformed", "Malformed backend messages skipped"),
}


class NotifierCollector:
    def collect(self) -> Iterator[Metric]:
        from caddy_py.modules.websocket_notifier.handler import NOTIFIERS

        notifiers = [(url, n) for url, n in NOTIFIERS.items() if n is not None]
        for name, (attr, doc) in COUNTERS.items():
            m = CounterMetricFamily(PREFIX + name, doc, labels=["upstream"])
            for url, n in notifiers:
                m.add_metric([url], getattr(n.hub.counters, attr))
            yield m
        resume = CounterMetricFamily(PREFIX + "resume", "Resume requests by outcome", labels=["upstream", "outcome"])
        for url, n in notifiers:
            c = n.hub.counters
            resume.add_metric([url, "recovered"], c.resume_recovered)
            resume.add_metric([url, "gap"], c.resume_gap)
            resume.add_metric([url, "failed"], c.resume_failed)
        yield resume
        gauges = {
            "active_connection": "The number of active websocket connection from websocket subscriber",
            "active_subscription": "The number of active subscription from websocket subscriber",
            "channel_count": "The number of active channels subscribed by websocket subscriber",
            "upstream_healthy": "Healthy status of upstream websocket connection",
        }
        stats = [(url, n.stats(), n) for url, n in notifiers]
        for name, doc in gauges.items():
            g = GaugeMetricFamily(PREFIX + name, doc, labels=["upstream"])
            for url, s, _ in stats:
                g.add_metric([url], s[name])
            yield g
        worker = GaugeMetricFamily(PREFIX + "worker_channel", "Messages waiting in subscriber write buffers",
                                   labels=["upstream"])
        for url, _, n in stats:
            worker.add_metric([url], sum(len(s.out) + s.backlog for s in n.sessions))
        yield worker
        cat = GaugeMetricFamily(PREFIX + "subscriber_count", "Subscriptions per channel category",
                                labels=["upstream", "category"])
        for url, s, _ in stats:
            for category, count in sorted(s["subscriber_count"].items()):
                cat.add_metric([url, category], count)
        yield cat


def ensure_registered() -> None:
    global _registered
    if not _registered:
        REGISTRY.register(NotifierCollector())  # type: ignore[arg-type]
        _registered = True
