"""Caddyfile parser of the metrics handler directive (Caddy's modules/metrics/metrics.go)."""
from __future__ import annotations

from caddy_py.httpcaddyfile.addresses import go_quote
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("metrics")
def parse_metrics(h: Helper) -> dict:
    h.next()
    if h.remaining_args():
        raise h.arg_err()
    out: dict = {"handler": "metrics"}
    while h.next_block(0):
        if h.val() == "disable_openmetrics":
            out["disable_openmetrics"] = True
        else:
            raise h.err(f"unrecognized subdirective {go_quote(h.val())}")
    return out
