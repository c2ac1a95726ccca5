"""Caddyfile parser of intercept (Caddy's intercept/intercept.go), which shares response
matchers, replace_status and handle_response with reverse_proxy."""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.modules.headers.caddyfile import parse_named_response_matcher
from caddy_py.modules.reverse_proxy.caddyfile import (
    MATCHER_PREFIX,
    finalize_handle_responses,
    parse_replace_status,
)


@handler_directive("intercept")
def parse_intercept(h: Helper) -> dict:
    out: dict[str, Any] = {"handler": "intercept"}
    matchers: dict[str, dict] = {}
    segments: list[Dispenser] = []
    h.next()
    while h.next_block(0):
        key = h.val()
        if key.startswith(MATCHER_PREFIX):
            parse_named_response_matcher(h.new_from_next_segment(), matchers)
        elif key == "handle_response":
            segments.append(h.new_from_next_segment())
        elif key == "replace_status":
            out.setdefault("handle_response", []).append(parse_replace_status(h, matchers))
        else:
            raise h.err(f"unrecognized subdirective {key}")
    finalize_handle_responses(h, out, segments, matchers)
    return out
