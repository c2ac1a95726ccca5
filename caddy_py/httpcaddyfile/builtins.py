"""The directives Caddy builds into httpcaddyfile (Caddy's builtins.go): bind, tls, root, fs, vars,
redir, respond, abort, error, route, handle, handle_errors, invoke, log, skip_log/log_skip,
log_name. Handler directives return the handler's JSON object; the registry wraps it in a route.
"""
from __future__ import annotations

import html
from typing import Any

from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
from caddy_py.httpcaddyfile.directives import (
    NAMED_ROUTE_KEY,
    Helper,
    build_subroute,
    parse_segment_as_config,
    parse_segment_as_subroute,
)
from caddy_py.httpcaddyfile.gorepr import go_value
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_float
from caddy_py.httpcaddyfile.logging import CustomLog, NamedCustomLog, parse_log_block
from caddy_py.httpcaddyfile.registry import ConfigValue, directive, handler_directive
from caddy_py.httpcaddyfile.routes import Route, Subroute
from caddy_py.httpcaddyfile.tlsdirective import parse_tls
from caddy_py.httpcaddyfile.zaplog import zap_warn

__all__ = ["parse_tls", "parse_log_helper"]


def weak_string(s: str) -> Any:
    """caddyhttp.WeakString as JSON: a number when it is one, else the string."""
    try:
        return atoi(s)
    except GoValueError:
        return s


@directive("bind")
def parse_bind(h: Helper) -> list[ConfigValue]:
    h.next()
    addresses = h.remaining_args()
    protocols: list[str] | None = None
    while h.next_block(0):
        if h.val() == "protocols":
            protocols = h.remaining_args()
            if not protocols:
                raise h.err("protocols requires one or more arguments")
        else:
            raise h.err(f"unknown subdirective: {h.val()}")
    return [ConfigValue("bind", AddressesWithProtocols(addresses, protocols))]


directive("tls")(parse_tls)


@directive("root")
def parse_root(h: Helper) -> list[ConfigValue]:
    h.next()
    count = h.count_remaining_args()
    if count == 0:
        raise h.err("too few arguments; must have at least a root path")
    if count > 2:
        raise h.err("too many arguments; should only be a matcher and a path")
    if count == 1:
        h.next_arg()
        h.block_state["root"] = h.val()
        return h.new_route(None, {"handler": "vars", "root": h.val()})
    matcher_set = h.extract_matcher_set()
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    if matcher_set is None:
        h.block_state["root"] = h.val()
    return h.new_route(matcher_set, {"handler": "vars", "root": h.val()})


@handler_directive("fs")
def parse_filesystem(h: Helper) -> dict:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    if h.next_arg():
        raise h.arg_err()
    return {"handler": "vars", "fs": h.val()}


@handler_directive("vars")
def parse_vars(h: Helper) -> dict:
    h.next()
    out: dict[str, Any] = {}

    def next_var(header_line: bool) -> None:
        if header_line and not h.next_arg():
            return
        name = h.val()
        if not h.next_arg():
            raise h.arg_err()
        out[name] = h.scalar_val()
        if h.next_arg():
            raise h.arg_err()

    next_var(True)
    while h.next_block(0):
        next_var(False)
    return {"handler": "vars", **out}


_META_REDIR = """<!DOCTYPE html>
<html>
	<head>
		<title>Redirecting...</title>
		<script>window.location.replace("{0}");</script>
		<meta http-equiv="refresh" content="0; URL='{0}'">
	</head>
	<body>Redirecting to <a href="{0}">{0}</a>...</body>
</html>
"""


def _go_html_escape(s: str) -> str:
    """html.EscapeString: only <, >, &, ' and \" are escaped."""
    return html.escape(s, quote=True).replace("&#x27;", "&#39;")


@handler_directive("redir")
def parse_redir(h: Helper) -> dict:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    to = h.val()
    code = h.val() if h.next_arg() else ""
    body = ""
    headers: dict[str, list[str]] | None = None
    if code == "permanent":
        code = "301"
    elif code in ("temporary", ""):
        code = "302"
    elif code == "html":
        body = _META_REDIR.format(_go_html_escape(to))
        headers = {"Content-Type": ["text/html; charset=utf-8"]}
        code = "200"
    elif not code.startswith("{"):
        try:
            n = atoi(code)
        except GoValueError:
            raise h.err(f"Not a supported redir code type or not valid integer: '{code}'") from None
        if n < 300 or (n > 399 and n != 401):
            raise h.err(f"Redir code not in the 3xx range or 401: '{n}'")
    if code != "200":
        headers = {"Location": [to]}
    return static_response(code, headers, body)


def static_response(code: str = "", headers: dict | None = None, body: str = "",
                    close: bool = False, abort: bool = False) -> dict:
    out: dict[str, Any] = {"handler": "static_response"}
    if code:
        out["status_code"] = weak_string(code)
    if headers:
        out["headers"] = headers
    if body:
        out["body"] = body
    if close:
        out["close"] = True
    if abort:
        out["abort"] = True
    return out


def _status_or_text(h: Helper) -> tuple[str, str]:
    """(status, text) from `<status>|<text> [<status>]` (respond and error)."""
    args = h.remaining_args()
    if len(args) == 1:
        a = args[0]
        if len(a) == 3:
            try:
                if atoi(a) > 0:
                    return a, ""
            except GoValueError:
                pass
        return "", a
    if len(args) == 2:
        return args[1], args[0]
    raise h.arg_err()


@handler_directive("respond")
def parse_respond(h: Helper) -> dict:
    h.next()
    code, body = _status_or_text(h)
    close = False
    while h.next_block(0):
        if h.val() == "body":
            if body:
                raise h.err("body already specified")
            args = h.all_args(1)
            if args is None:
                raise h.arg_err()
            body = args[0]
        elif h.val() == "close":
            if close:
                raise h.err("close already specified")
            close = True
        else:
            raise h.err(f"unrecognized subdirective '{h.val()}'")
    return static_response(code, None, body, close)


@handler_directive("abort")
def parse_abort(h: Helper) -> dict:
    h.next()
    if h.next() or h.next_block(0):
        raise h.arg_err()
    return static_response(abort=True)


@handler_directive("error")
def parse_error(h: Helper) -> dict:
    h.next()
    code, message = _status_or_text(h)
    while h.next_block(0):
        if h.val() == "message":
            if message:
                raise h.err("message already specified")
            args = h.all_args(1)
            if args is None:
                raise h.arg_err()
            message = args[0]
        else:
            raise h.err(f"unrecognized subdirective '{h.val()}'")
    out: dict[str, Any] = {"handler": "error"}
    if message:
        out["error"] = message
    if code:
        out["status_code"] = weak_string(code)
    return out


@handler_directive("route")
def parse_route(h: Helper) -> Subroute:
    results = parse_segment_as_config(h)
    for r in results:
        # Go accepts only Route and Subroute values; handle_errors' *Subroute is not one of them
        if r.cls != "route" or not isinstance(r.value, (Route, Subroute)):
            raise h.err(
                f"{r.directive} directive returned something other than an HTTP route or subroute: "
                f"{go_value(r.value)} (only handler directives can be used in routes)"
            )
    return build_subroute(results, h.group_counter, False)


@handler_directive("handle")
def parse_handle(h: Helper) -> Subroute:
    return parse_segment_as_subroute(h)


@directive("handle_errors")
def parse_handle_errors(h: Helper) -> list[ConfigValue]:
    h.next()
    expression = ""
    args = h.remaining_args()
    if args:
        codes: list[str] = []
        for val in args:
            if len(val) != 3:
                raise h.err(f"bad status value '{val}'")
            if val.endswith("xx"):
                digit = val[:1]
                try:
                    atoi(digit)
                except GoValueError as e:
                    raise h.err(f"bad status value '{digit}': {e}") from None
                if expression:
                    expression += " || "
                expression += (f"{{http.error.status_code}} >= {digit}00 && "
                               f"{{http.error.status_code}} <= {digit}99")
                continue
            try:
                atoi(val)
            except GoValueError as e:
                raise h.err(f"bad status value '{val}': {e}") from None
            codes.append(val)
        if codes:
            if expression:
                expression += " || "
            expression += "{http.error.status_code} in [" + ", ".join(codes) + "]"
        h.reset()
        h.next()
        h.remaining_args()
        h.prev()
    else:
        h.prev()
    subroute = parse_segment_as_subroute(h)
    wrapping = Route(handlers=[subroute.as_handler()])
    if expression:
        wrapping.matcher_sets = [{"expression": expression}]
    return [ConfigValue("error_route", Subroute(routes=[wrapping]))]


@handler_directive("invoke")
def parse_invoke(h: Helper) -> dict:
    h.next()
    if not h.next_arg():
        raise h.arg_err()
    name = h.val()
    if h.next() or h.next_block(0):
        raise h.arg_err()
    names = h.state.get(NAMED_ROUTE_KEY)
    if names is None:
        names = h.state[NAMED_ROUTE_KEY] = {}
    names[name] = None
    return {"handler": "invoke", "name": name}


@directive("log")
def parse_log(h: Helper) -> list[ConfigValue]:
    return parse_log_helper(h, None)


def parse_log_helper(h: Any, global_log_names: set[str] | None) -> list[ConfigValue]:
    """The `log` directive, and (with global_log_names) the global `log` option."""
    h.next()
    as_global = global_log_names is not None
    log_name = ""
    if h.next_arg():
        log_name = h.val()
        if h.next_arg():
            raise h.arg_err()
    elif as_global:
        log_name = "default"
    if as_global:
        assert global_log_names is not None
        if log_name in global_log_names:
            raise h.err("duplicate global log option for: " + log_name)
        global_log_names.add(log_name)

    cl, hostnames, no_hostname = parse_log_block(h, as_global)
    is_empty = cl == CustomLog()
    val = NamedCustomLog(hostnames=hostnames, no_hostname=no_hostname)
    if as_global:
        val.name = log_name
    else:
        if log_name:
            val.name = log_name
        elif not is_empty:
            counter = h.state.get("logCounter", 0)
            val.name = f"log{counter}"
            h.state["logCounter"] = counter + 1
        if val.name:
            cl.include = ["http.log.access." + val.name]
    if not is_empty:
        val.log = cl
    return [ConfigValue("custom_log", val)]


def _parse_log_skip(h: Helper) -> dict:
    h.next()
    if h.val() == "skip_log":
        zap_warn("the 'skip_log' directive is deprecated, please use 'log_skip' instead!",
                 "config.adapter.caddyfile")
    if h.next_arg():
        raise h.arg_err()
    if h.next_block(0):
        raise h.err("log_skip directive does not accept blocks")
    return {"handler": "vars", "log_skip": True}


handler_directive("skip_log")(_parse_log_skip)
handler_directive("log_skip")(_parse_log_skip)


@handler_directive("log_name")
def parse_log_name(h: Helper) -> dict:
    h.next()
    return {"handler": "vars", "access_logger_names": h.remaining_args() or None}


def parse_ratio(h: Any, text: str) -> float:
    """renewal_window_ratio: a float strictly between 0 and 1."""
    try:
        ratio = parse_float(text)
    except GoValueError as e:
        raise h.err(f"parsing renewal_window_ratio: {e}") from None
    if ratio <= 0 or ratio >= 1:
        raise h.err("renewal_window_ratio must be between 0 and 1 (exclusive)")
    return ratio

