"""Caddyfile parser of tracing (Caddy's tracing/module.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("tracing")
def parse_tracing(h: Helper) -> dict:
    out: dict[str, Any] = {"handler": "tracing", "span": ""}  # span has no omitempty
    h.next()
    if h.next_arg():
        raise h.arg_err()
    while h.next_block(0):
        if h.val() == "span_attributes":
            attrs = out.setdefault("span_attributes", {})
            while h.next_block(1):
                key = h.val()
                if not h.next_arg():
                    raise h.arg_err()
                value = h.val()
                if h.next_arg():
                    raise h.arg_err()
                attrs[key] = value
            if not attrs:
                del out["span_attributes"]
        elif h.val() == "span":
            if not h.next_arg():
                raise h.arg_err()
            out["span"] = h.val()
            if h.next_arg():
                raise h.arg_err()
        else:
            raise h.arg_err()
    return out
