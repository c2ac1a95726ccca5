"""Caddyfile parser of log_append: `log_append [<matcher>] [<]<key> <value>`."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("log_append")
def parse_log_append(h: Helper) -> dict:
    h.next()  # the directive name (the matcher, if any, was already taken out)
    if not h.next_arg():
        raise h.arg_err()
    key = h.val()
    if not h.next_arg():
        raise h.arg_err()
    out: dict[str, Any] = {"handler": "log_append"}
    early = key.startswith("<") and len(key) > 1
    if early:
        key = key[1:]
    if key:
        out["key"] = key
    if h.val():
        out["value"] = h.val()
    if early:
        out["early"] = True
    return out
