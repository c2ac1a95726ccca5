"""Directives that expand to a preconfigured reverse_proxy: php_fastcgi (Caddy's
reverseproxy/fastcgi/caddyfile.go) and forward_auth (reverseproxy/forwardauth/caddyfile.go).

Both first take their own subdirectives out of the segment (Go's DeleteN), then let
reverse_proxy's parser read what is left.
"""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.matchers import canonical_header_key
from caddy_py.httpcaddyfile.registry import ConfigValue, directive
from caddy_py.httpcaddyfile.routes import Route, Subroute, json_module_object
from caddy_py.modules.reverse_proxy.caddyfile import ProxyParse, finalize_reverse_proxy, unmarshal_reverse_proxy
from caddy_py.modules.reverse_proxy.caddyfile_modules import duration_arg, module_object, put


def _proxy_route(helper: Helper, d: Dispenser, rp: ProxyParse, matcher_sets: list[dict]) -> Route:
    d.reset()
    d.next()  # the leading empty token of a segment cut at cursor -1 (as Go's NewFromNextSegment)
    unmarshal_reverse_proxy(d, rp)
    handler = finalize_reverse_proxy(helper, rp)
    return Route(matcher_sets=matcher_sets, handlers=[json_module_object(handler, "handler", "reverse_proxy")])


@directive("php_fastcgi")
def parse_php_fastcgi(h: Helper) -> list[ConfigValue]:
    if not h.next():
        raise h.arg_err()
    transport: dict[str, Any] = {}
    extensions = [".php"]
    index_file = "index.php"
    try_files: list[str] = []
    user_matcher_set = h.extract_matcher_set()
    d = h.new_from_next_segment()

    while d.next():
        while d.next_block(0):
            if d.nesting != 1:
                continue
            key = d.val()
            if key == "root":
                if not d.next_arg():
                    raise d.arg_err()
                put(transport, "root", d.val())
                d.delete_n(2)
            elif key in ("split", "env", "index", "try_files", "resolve_root_symlink", "capture_stderr"):
                args = d.remaining_args()
                d.delete_n(len(args) + 1)
                if key == "split":
                    extensions = args
                    if not args:
                        raise d.arg_err()
                elif key == "env":
                    if len(args) != 2:
                        raise d.arg_err()
                    transport.setdefault("env", {})[args[0]] = args[1]
                elif key == "index":
                    if len(args) != 1:
                        raise d.arg_err()
                    index_file = args[0]
                elif key == "try_files":
                    if not args:
                        raise d.arg_err()
                    try_files = args
                else:
                    transport[key] = True
            elif key in ("dial_timeout", "read_timeout", "write_timeout"):
                put(transport, key, duration_arg(d, "bad timeout value {v}: {e}"))
                d.delete_n(2)

    routes: list[Route] = []
    transport["split_path"] = extensions
    if index_file != "off":
        dir_index = "{http.request.uri.path}/" + index_file
        try_policy = "first_exist_fallback"
        if not try_files:
            try_files = ["{http.request.uri.path}", dir_index, index_file]
            dir_redir = True
        else:
            if not try_files[-1].endswith(".php"):
                try_policy = ""
            dir_redir = dir_index in try_files
        if dir_redir:
            redir = {
                "handler": "static_response",
                "status_code": 308,
                "headers": {"Location": ["{http.request.orig_uri.path}/{http.request.orig_uri.prefixed_query}"]},
            }
            routes.append(Route(
                matcher_sets=[{"file": {"try_files": [dir_index]}, "not": [{"path": ["*/"]}]}],
                handlers=[json_module_object(redir, "handler", "static_response")],
            ))
        file_matcher: dict[str, Any] = {"try_files": try_files}
        if try_policy:
            file_matcher["try_policy"] = try_policy
        file_matcher["split_path"] = extensions
        routes.append(Route(
            matcher_sets=[{"file": file_matcher}],
            handlers=[json_module_object({"uri": "{http.matchers.file.relative}"}, "handler", "rewrite")],
        ))

    rp = ProxyParse()
    rp.handler["transport"] = module_object(transport, "protocol", "fastcgi")
    routes.append(_proxy_route(h, d, rp, [{"path": ["*" + ext for ext in extensions]}]))
    subroute = Subroute(routes=routes)
    if user_matcher_set is not None:
        return [ConfigValue("route", Route(matcher_sets=[user_matcher_set], handlers=[subroute.as_handler()]))]
    return [ConfigValue("route", subroute)]


@directive("forward_auth")
def parse_forward_auth(h: Helper) -> list[ConfigValue]:
    if not h.next():
        raise h.arg_err()
    user_matcher_set = h.extract_matcher_set()
    d = h.new_from_next_segment()

    rp = ProxyParse()
    rp.handler["headers"] = {"request": {"set": {
        "X-Forwarded-Method": ["{http.request.method}"],
        "X-Forwarded-Uri": ["{http.request.uri}"],
    }}}
    rp.handler["rewrite"] = {"method": "GET"}
    headers_to_copy: dict[str, str] = {}

    while d.next():
        while d.next_block(0):
            if d.nesting != 1:
                continue
            if d.val() == "uri":
                if not d.next_arg():
                    raise d.arg_err()
                uri = d.val()
                if rp.handler["rewrite"].get("uri"):
                    raise d.err(f"cannot re-declare uri: {uri}")
                put(rp.handler["rewrite"], "uri", uri)
                d.delete_n(2)
            elif d.val() == "copy_headers":
                args = d.remaining_args()
                had_block = False
                nesting = d.nesting
                while d.next_block(nesting):
                    had_block = True
                    args.append(d.val())
                d.delete_n(len(args) + 1)
                if had_block:
                    d.delete_n(2)
                for hdr in args:
                    if ">" in hdr:
                        parts = hdr.split(">")
                        headers_to_copy[parts[0]] = parts[1]
                    else:
                        headers_to_copy[hdr] = hdr
                if not headers_to_copy:
                    raise d.arg_err()

    d.reset()
    if not rp.handler["rewrite"].get("uri"):
        raise d.err("the 'uri' subdirective is required")

    good_routes: list[dict] = [Route(handlers=[{"handler": "vars"}]).to_json()]
    for src in sorted(headers_to_copy):
        to = canonical_header_key(headers_to_copy[src])
        placeholder = "{http.reverse_proxy.header." + canonical_header_key(src) + "}"
        good_routes.append(Route(handlers=[
            json_module_object({"request": {"delete": [to]}}, "handler", "headers")]).to_json())
        good_routes.append(Route(
            matcher_sets=[{"not": [{"vars": {placeholder: [""]}}]}],
            handlers=[json_module_object({"request": {"set": {to: [placeholder]}}}, "handler", "headers")],
        ).to_json())
    rp.handler["handle_response"] = [{"match": {"status_code": [2]}, "routes": good_routes}]

    route = _proxy_route(h, d, rp, [user_matcher_set] if user_matcher_set is not None else [])
    return [ConfigValue("route", route)]
