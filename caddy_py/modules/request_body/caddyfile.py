"""Caddyfile parser of request_body (Caddy's requestbody/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_bytes
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("request_body")
def parse_request_body(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {"handler": "request_body"}
    while h.next_block(0):
        key = h.val()
        if key not in ("max_size", "set"):
            raise h.err(f"unrecognized request_body subdirective '{key}'")
        args = h.all_args(1)
        if args is None:
            raise h.arg_err()
        value: Any = args[0]
        if key == "max_size":
            try:
                value = parse_bytes(value)
            except GoValueError as e:
                raise h.err(f"parsing max_size: {e}") from None
        out.pop(key, None)
        if value:
            out[key] = value
    return out
