"""Caddyfile parser of push (Caddy's push/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.modules.headers.caddyfile import HeaderOpError, caddyfile_header_op


def _resource(target: str, method: str = "") -> dict[str, str]:
    return {k: v for k, v in (("method", method), ("target", target)) if v}


@handler_directive("push")
def parse_push(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {"handler": "push"}
    resources: list[dict[str, str]] = []
    if h.next_arg():
        resources.append(_resource(h.val()))
    while h.next_block(0):
        key = h.val()
        if key == "headers":
            if h.next_arg():
                raise h.arg_err()
            nesting = h.nesting
            while h.next_block(nesting):
                args = [h.val(), *h.remaining_args()]
                ops = out.setdefault("headers", {})
                if len(args) > 3:
                    raise h.arg_err()
                try:
                    caddyfile_header_op(ops, args[0], args[1] if len(args) > 1 else "",
                                        args[2] if len(args) == 3 else None)
                except HeaderOpError as e:
                    raise h.err(str(e)) from None
        elif key in ("GET", "HEAD"):
            if not h.next_arg():
                raise h.arg_err()
            resources.append(_resource(h.val(), key))
        else:
            resources.append(_resource(key))
    if resources:
        out["resources"] = resources
    return out
