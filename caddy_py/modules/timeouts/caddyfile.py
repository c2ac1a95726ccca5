"""Caddyfile parser of timeouts (Caddy's timeouts/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_bytes, parse_int, time_parse_duration
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("timeouts")
def parse_timeouts(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {"handler": "timeouts"}
    while h.next_block(0):
        key = h.val()
        if key in ("read_timeout", "write_timeout"):
            args = h.remaining_args()
            if not 1 <= len(args) <= 2:
                raise h.arg_err()
            try:
                timeout = time_parse_duration(args[0])
            except GoValueError as e:
                raise h.err(f"parsing {key}: {e}") from None
            out.pop(key, None)
            if timeout:
                out[key] = timeout
            if len(args) == 2:
                try:
                    rate = parse_int(args[1])
                except GoValueError as e:
                    raise h.err(f"parsing {key} min_rate: {e}") from None
                rate_key = key.replace("timeout", "min_rate")
                out.pop(rate_key, None)
                if rate:
                    out[rate_key] = rate
        elif key == "max_write_chunk":
            args = h.all_args(1)
            if args is None:
                raise h.arg_err()
            try:
                size = parse_bytes(args[0])
            except GoValueError as e:
                raise h.err(f"parsing max_write_chunk: {e}") from None
            out.pop("max_write_chunk", None)
            if size:
                out["max_write_chunk"] = size
        else:
            raise h.err(f"unrecognized timeouts subdirective '{key}'")
    return out
