"""Caddyfile parsers of `header` and `request_header` (Caddy's headers/caddyfile.go), plus the
header-operation helpers reverse_proxy's header_up/header_down and websocket_notifier reuse.

Header ops are plain JSON dicts in Caddy's shape: {"add": {F: [v]}, "set": {F: [v]},
"delete": [f], "replace": {f: [{"search_regexp": .., "replace": ..}]}}; response ops add
"require" (a response matcher) and "deferred".
"""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.matchers import canonical_header_key, parse_header
from caddy_py.httpcaddyfile.registry import ConfigValue, directive
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi


class HeaderOpError(ValueError):
    pass


def apply_header_op(ops: dict[str, Any], resp_ops: dict[str, Any] | None, field: str, value: str,
                    replacement: str | None) -> None:
    """One header operation from Caddyfile syntax: `+F v` add, `-F` delete, `?F v` default
    (response only), `F search replace` replace, `>F v` deferred set, `F v` set.

    `resp_ops` is the response ops dict when `ops` belongs to a response (it may be `ops`
    itself); None for request headers."""
    if field.startswith("+"):
        ops.setdefault("add", {}).setdefault(canonical_header_key(field[1:]), []).append(value)
    elif field.startswith("-"):
        ops.setdefault("delete", []).append(field[1:])
        if resp_ops is not None:
            resp_ops["deferred"] = True
    elif field.startswith("?"):
        if resp_ops is None:
            raise HeaderOpError(
                f"{field}: the default header modifier ('?') can only be used on response headers; "
                "for conditional manipulation of request headers, use matchers"
            )
        field = field[1:]
        resp_ops.setdefault("require", {}).setdefault("headers", {})[field] = None
        resp_ops.setdefault("set", {})[canonical_header_key(field)] = [value]
    elif replacement is not None:
        if field.startswith(">") and resp_ops is not None:
            resp_ops["deferred"] = True
        field = field.lstrip("+-?>")
        rep: dict[str, str] = {}
        if value:
            rep["search_regexp"] = value
        if replacement:
            rep["replace"] = replacement
        ops.setdefault("replace", {}).setdefault(field, []).append(rep)
    elif field.startswith(">"):
        ops.setdefault("set", {})[canonical_header_key(field[1:])] = [value]
        if resp_ops is not None:
            resp_ops["deferred"] = True
    else:
        ops.setdefault("set", {})[canonical_header_key(field)] = [value]


def caddyfile_header_op(ops: dict[str, Any], field: str, value: str, replacement: str | None) -> None:
    """headers.CaddyfileHeaderOp: a request-style operation (no `?`, no deferral)."""
    apply_header_op(ops, None, field, value, replacement)


def parse_named_response_matcher(d: Dispenser, matchers: dict[str, dict]) -> None:
    """caddyhttp.ParseNamedResponseMatcher: `@name { status ...; header F [v] }` or one line."""
    d.next()
    name = d.val()
    if name in matchers:
        raise d.err(f"matcher is defined more than once: {name}")
    matcher: dict[str, Any] = {}
    nesting = d.nesting
    while d.next_arg() or d.next_block(nesting):
        if d.val() == "header":
            merged = dict(matcher.get("headers") or {})
            for k, v in parse_header(d.new_from_next_segment()).items():
                if v is None or merged.get(k) is None:
                    merged[k] = v
                else:
                    merged[k] = merged[k] + v
            matcher["headers"] = merged
        elif d.val() == "status":
            codes = matcher.setdefault("status_code", [])
            args = d.remaining_args()
            if not args:
                raise d.arg_err()
            for arg in args:
                if len(arg) == 3 and arg.endswith("xx"):
                    arg = arg[:1]
                try:
                    codes.append(atoi(arg))
                except GoValueError as e:
                    raise d.err(f"bad status value '{arg}': {e}") from None
        else:
            raise d.err(f"unrecognized response matcher {d.val()}")
    matchers[name] = matcher


def _header_value_args(h: Dispenser) -> tuple[str, str | None]:
    value = h.val() if h.next_arg() else ""
    replacement = h.val() if h.next_arg() else None
    return value, replacement


@directive("header")
def parse_header_directive(h: Helper) -> list[ConfigValue]:
    h.next()
    matcher_set = h.extract_matcher_set()
    h.next()
    handler: dict[str, Any] = {}
    with_require: dict[str, Any] = {}

    has_args = False
    if h.next_arg():
        has_args = True
        field = h.val()
        value, replacement = _header_value_args(h)
        try:
            apply_header_op(handler, handler, field, value, replacement)
        except HeaderOpError as e:
            raise h.err(str(e)) from None
        if handler.get("delete"):
            handler["deferred"] = True

    while h.next_block(0):
        field = h.val()
        if field == "defer":
            handler["deferred"] = True
            continue
        if field == "match":
            found: dict[str, dict] = {}
            parse_named_response_matcher(h.new_from_next_segment(), found)
            handler["require"] = found["match"]
            continue
        if has_args:
            raise h.err("cannot specify headers in both arguments and block")
        field = field.removesuffix(":")
        value, replacement = _header_value_args(h)
        target = with_require if field.startswith("?") else handler
        try:
            apply_header_op(target, target, field, value, replacement)
        except HeaderOpError as e:
            raise h.err(str(e)) from None

    out: list[ConfigValue] = []
    for ops in (handler, with_require):
        if ops:
            out.extend(h.new_route(matcher_set, {"handler": "headers", "response": ops}))
    return out


@directive("request_header")
def parse_request_header(h: Helper) -> list[ConfigValue]:
    h.next()
    matcher_set = h.extract_matcher_set()
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    field = h.val().removesuffix(":")
    value = h.val() if h.next_arg() else ""
    replacement = None
    if h.next_arg():
        replacement = h.val()
        if h.next_arg():
            raise h.arg_err()
    ops: dict[str, Any] = {}
    try:
        caddyfile_header_op(ops, field, value, replacement)
    except HeaderOpError as e:
        raise h.err(str(e)) from None
    values = h.new_route(matcher_set, {"handler": "headers", "request": ops})
    if h.next_arg():
        raise h.arg_err()
    return values
