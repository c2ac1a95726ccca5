"""Caddyfile parsers of rewrite, method, uri and handle_path (Caddy's rewrite/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper, parse_segment_as_subroute
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi
from caddy_py.httpcaddyfile.registry import ConfigValue, directive, handler_directive
from caddy_py.httpcaddyfile.routes import Route, json_module_object


def _rewrite(**fields: Any) -> dict[str, Any]:
    return {"handler": "rewrite", **{k: v for k, v in fields.items() if v}}


@directive("rewrite")
def parse_rewrite(h: Helper) -> list[ConfigValue]:
    h.next()
    count = h.count_remaining_args()
    if count == 0:
        raise h.err("too few arguments; must have at least a rewrite URI")
    if count > 2:
        raise h.err("too many arguments; should only be a matcher and a URI")
    if count == 1:
        h.next_arg()
        return h.new_route(None, _rewrite(uri=h.val()))
    matcher_set = h.extract_matcher_set()
    h.next()
    h.next()
    return h.new_route(matcher_set, _rewrite(uri=h.val()))


@handler_directive("method")
def parse_method(h: Helper) -> dict:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    if h.next_arg():
        raise h.arg_err()
    return _rewrite(method=h.val())


def _apply_query_op(h: Helper, query: dict[str, list], args: list[str]) -> None:
    key = args[0]
    if key.startswith("-"):
        if len(args) != 1:
            raise h.arg_err()
        query.setdefault("delete", []).append(key.lstrip("-"))
    elif key.startswith("+"):
        if len(args) != 2:
            raise h.arg_err()
        query.setdefault("add", []).append(_kv(key.lstrip("+"), args[1]))
    elif ">" in key:
        if len(args) != 1:
            raise h.arg_err()
        parts = key.split(">")
        query.setdefault("rename", []).append(_kv(parts[0], parts[1]))
    elif len(args) == 3:
        rep = {"key": key, "search_regexp": args[1], "replace": args[2]}
        query.setdefault("replace", []).append({k: v for k, v in rep.items() if v})
    else:
        if len(args) != 2:
            raise h.arg_err()
        query.setdefault("set", []).append(_kv(key, args[1]))


def _kv(key: str, val: str) -> dict[str, str]:
    return {k: v for k, v in (("key", key), ("val", val)) if v}


@handler_directive("uri")
def parse_uri(h: Helper) -> dict:
    h.next()
    args = h.remaining_args()
    if not args:
        raise h.arg_err()
    op = args[0]
    if op in ("strip_prefix", "strip_suffix"):
        if len(args) != 2:
            raise h.arg_err()
        return _rewrite(**{"strip_path_" + op.removeprefix("strip_"): args[1]})
    if op == "replace":
        if len(args) not in (3, 4):
            raise h.arg_err()
        limit = 0
        if len(args) == 4 and args[3] != "":
            try:
                limit = atoi(args[3])
            except GoValueError as e:
                raise h.err(f"limit must be an integer; invalid: {e}") from None
        sub = {k: v for k, v in (("find", args[1]), ("replace", args[2]), ("limit", limit)) if v}
        return _rewrite(uri_substring=[sub])
    if op == "path_regexp":
        if len(args) != 3:
            raise h.arg_err()
        sub = {k: v for k, v in (("find", args[1]), ("replace", args[2])) if v}
        return _rewrite(path_regexp=[sub])
    if op == "query":
        if len(args) > 4:
            raise h.arg_err()
        query: dict[str, list] = {}
        has_args = len(args) > 1
        if has_args:
            _apply_query_op(h, query, args[1:])
        while h.next_block(0):
            if has_args:
                raise h.err("Cannot specify uri query rewrites in both argument and block")
            _apply_query_op(h, query, [h.val(), *h.remaining_args()])
        out = _rewrite()
        out["query"] = query
        return out
    raise h.err(f"unrecognized URI manipulation '{op}'")


@directive("handle_path")
def parse_handle_path(h: Helper) -> list[ConfigValue]:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    path = h.val()
    if not path.startswith("/"):
        raise h.err(f"path matcher must begin with '/', got {path}")
    if path.endswith("/*"):
        strip = path[:-2]
    elif path.endswith("*"):
        strip = path[:-1]
    else:
        strip = path
    h.reset()
    h.next()
    subroute = parse_segment_as_subroute(h)
    strip_route = Route(handlers=[json_module_object(_rewrite(strip_path_prefix=strip), "handler", "rewrite")])
    subroute.routes = [strip_route, *subroute.routes]
    return h.new_route({"path": [path]}, subroute)
