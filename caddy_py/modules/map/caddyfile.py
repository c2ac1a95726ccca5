"""Caddyfile parser of map (Caddy's map/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.httpcaddyfile.shorthands import was_replaced_placeholder_shorthand


@handler_directive("map")
def parse_map(h: Helper) -> dict:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    out: dict[str, Any] = {"handler": "map"}
    if h.val():
        out["source"] = h.val()
    destinations = h.remaining_args()
    if not destinations:
        raise h.err("missing destination argument(s)")
    out["destinations"] = destinations
    for dest in destinations:
        shorthand = was_replaced_placeholder_shorthand(dest)
        if shorthand:
            raise h.err(f"destination {shorthand} conflicts with a Caddyfile placeholder shorthand")
    mappings: list[dict[str, Any]] = []
    while h.next_block(0):
        if h.val() == "default":
            if out.get("defaults"):
                raise h.err("defaults already defined")
            defaults = h.remaining_args()
            defaults += [""] * (len(destinations) - len(defaults))
            if defaults:
                out["defaults"] = defaults
            continue
        key = h.val()
        outs: list[Any] = []
        while h.next_arg():
            val = h.scalar_val()
            outs.append(None if val == "-" else val)
        if len(outs) > len(destinations):
            raise h.err("too many outputs")
        outs += [None] * (len(destinations) - len(outs))
        mapping: dict[str, Any] = {}
        if key.startswith("~"):
            if key[1:]:
                mapping["input_regexp"] = key[1:]
        elif key:
            mapping["input"] = key
        if outs:
            mapping["outputs"] = outs
        mappings.append(mapping)
    if mappings:
        out["mappings"] = mappings
    return out
