"""Caddyfile parser of templates (Caddy's templates/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.modparsers import unmarshal_module
from caddy_py.httpcaddyfile.registry import handler_directive


@handler_directive("templates")
def parse_templates(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {"handler": "templates"}
    while h.next_block(0):
        key = h.val()
        if key == "mime":
            mimes = h.remaining_args()
            if not mimes:
                raise h.arg_err()
            out["mime_types"] = mimes
        elif key == "between":
            delims = h.remaining_args()
            if len(delims) != 2:
                raise h.arg_err()
            out["delimiters"] = delims
        elif key == "root":
            args = h.args(1)
            if args is None:
                raise h.arg_err()
            out.pop("file_root", None)
            if args[0]:
                out["file_root"] = args[0]
        elif key == "extensions":
            if h.next_arg():
                raise h.arg_err()
            if "match" in out:
                raise h.err("extensions already specified")
            nesting = h.nesting
            while h.next_block(nesting):
                name = h.val()
                value = unmarshal_module(h, "http.handlers.templates.functions." + name)
                out.setdefault("match", {})[name] = value
    return out
