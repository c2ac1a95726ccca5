"""`http.handlers.tracing`: Caddy's OpenTelemetry handler, as it behaves without a collector.

Caddy starts a server span for each request (continuing the trace of a valid incoming W3C
`traceparent`, sampled as its parent says, else a new sampled trace), writes the span's
`traceparent` (and tracestate / baggage, normalised) into the request headers so upstreams see
it, sets `{http.vars.trace_id}` / `{http.vars.span_id}` and adds `traceID` / `spanID` to the
access log entry. That is what this handler does, with the W3C formats in w3c.py.

Not done: exporting spans. Caddy's exporter (OTLP by default, chosen by the OTEL_* environment)
sends spans in the background and nothing of it reaches the client; caddy-py records no spans,
so `span` names and `span_attributes` are accepted and unused. No OpenTelemetry dependency is
needed for the visible behaviour.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.logs.access import add_log_field

from .w3c import SAMPLED, SpanContext, new_span_id, new_trace_id, normalise_baggage, parse_traceparent

DEFAULT_SPAN_NAME = "handler"


def start_span(headers: Any) -> SpanContext:
    """The server span of a request: a child of the incoming trace context when it parses."""
    parent = parse_traceparent(headers.get("traceparent", ""), headers.get("tracestate", ""))
    if parent is None:
        return SpanContext(new_trace_id(), new_span_id(), SAMPLED)
    return SpanContext(parent.trace_id, new_span_id(), parent.flags, parent.tracestate)


def inject(headers: Any, span: SpanContext) -> None:
    """Write the span into request headers as OpenTelemetry-Go's propagators do: a header that
    did not parse is left alone, a valid one is replaced by its normalised form."""
    if span.tracestate:
        headers["Tracestate"] = span.tracestate
    headers["Traceparent"] = span.traceparent()
    baggage = headers.get("baggage")
    if baggage:
        normalised = normalise_baggage(baggage)
        if normalised:
            headers["Baggage"] = normalised


@register("http.handlers.tracing")
class Tracing:
    def __init__(self, span: str, attributes: dict[str, str]) -> None:
        self.span_name = span or DEFAULT_SPAN_NAME
        self.span_attributes = attributes

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Tracing":
        cfg = cfg or {}
        attrs = cfg.get("span_attributes") or {}
        if not isinstance(attrs, dict):
            raise ConfigError("tracing: span_attributes must be an object of strings")
        return cls(str(cfg.get("span") or ""), {str(k): str(v) for k, v in attrs.items()})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        span = start_span(req.headers)
        inject(req.headers, span)
        req.vars["trace_id"] = span.trace_id
        req.vars["span_id"] = span.span_id
        add_log_field(req, "traceID", span.trace_id)
        add_log_field(req, "spanID", span.span_id)
        return await next(req)
