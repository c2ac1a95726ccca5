"""Differential tests: real Caddy and caddy-py serve the same config and must answer alike."""
from __future__ import annotations

import pytest

from tests.runtime_core.diff import Pair, Req

pytestmark = pytest.mark.timeout(60)


def json_config(routes, errors=None):
    def make(port):
        # no automatic HTTPS: host matchers would otherwise make Caddy serve TLS on the port
        srv = {"listen": [f"127.0.0.1:{port}"], "routes": routes, "automatic_https": {"disable": True}}
        if errors is not None:
            srv["errors"] = {"routes": errors}
        return {"apps": {"http": {"servers": {"srv0": srv}}}}
    return make


async def test_respond_and_matchers(caddy_bin, caddy_env, tmp_path):
    routes = [
        {"match": [{"path": ["/hello"]}], "handle": [{"handler": "static_response", "body": "hi {not json} {http.request.uri.query.q}"}]},
        {"match": [{"path": ["/json"]}], "handle": [{"handler": "static_response", "body": "{\"a\": [1, 2]}"}]},
        {"match": [{"path": ["/nocontent"]}], "handle": [{"handler": "static_response", "status_code": 204}]},
        {"match": [{"path": ["/notmodified"]}], "handle": [{"handler": "static_response", "status_code": 304, "body": "x"}]},
        {"match": [{"path": ["/hdr"]}], "handle": [{"handler": "static_response", "headers": {"x-custom": ["{http.request.method}"]}, "body": "h"}]},
        {"match": [{"path": ["/err/*"]}], "handle": [{"handler": "error", "status_code": "{http.request.uri.path.1}", "error": "boom"}]},
        {"match": [{"path": ["/vars"]}], "handle": [{"handler": "vars", "a": "1"}, {"handler": "static_response", "body": "{http.vars.a}"}]},
        {"match": [{"path": ["/ph"]}], "handle": [{"handler": "static_response", "body": "{http.request.uri} {http.request.uri.path.0} {http.request.uri.query} {http.request.uri.path.file.ext} {http.request.orig_uri.path} {http.request.method}"}]},
    ]
    errors = [
        {"match": [{"expression": "{http.error.status_code} in [404, 410]"}], "handle": [{"handler": "static_response", "body": "gone {http.error.status_code} {http.error.message}"}]},
        {"match": [{"expression": "{http.error.status_code} >= 500 && {http.error.status_code} <= 599"}], "handle": [{"handler": "static_response", "body": "5xx"}]},
    ]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes, errors)) as pair:
        await pair.assert_same([
            Req("GET", "/hello?q=a&q=b"), Req("GET", "/HELLO"), Req("GET", "/%68ello"),
            Req("GET", "/json"), Req("GET", "/nocontent"), Req("GET", "/notmodified"), Req("GET", "/hdr"), Req("PUT", "/hdr"),
            Req("GET", "/err/404"), Req("GET", "/err/410"), Req("GET", "/err/502"), Req("GET", "/err/403"),
            Req("GET", "/vars"), Req("GET", "/ph.txt/../ph?x=1"), Req("GET", "/unmatched"),
            Req("HEAD", "/hello"), Req("OPTIONS", "/hello"),
        ])


async def test_no_error_routes_gives_bare_status(caddy_bin, caddy_env, tmp_path):
    routes = [{"handle": [{"handler": "error", "status_code": 403}]}]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
        await pair.assert_same([Req("GET", "/"), Req("POST", "/x", body=b"data")])


CADDYFILE = """\
{{
	admin off
}}

http://127.0.0.1:{port} {{
	@api path /api/*
	@post method POST
	@q query mode=json
	handle @api {{
		respond @post "posted {{http.request.uri.path}}" 201
		respond "api {{path.1}} {{query.x}}"
	}}
	handle /errors/* {{
		error "nope {{path.1}}" {{path.1}}
	}}
	route /route/* {{
		vars v one
		respond "{{vars.v}} {{http.request.orig_uri.path}}"
	}}
	respond @q `{{"ok": true}}`
	respond /empty 204
	handle_errors 404 410 {{
		respond "gone: {{err.status_code}} {{err.message}}"
	}}
	handle_errors 5xx {{
		respond "server error {{err.status_code}}"
	}}
	respond "default {{host}} {{method}}"
}}
"""


async def test_caddyfile_site(caddy_bin, caddy_env, tmp_path):
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        await pair.assert_same([
            Req("GET", "/api/users?x=1&x=2"), Req("POST", "/api/users"), Req("GET", "/API/Users"),
            Req("GET", "/errors/404"), Req("GET", "/errors/410"), Req("GET", "/errors/503"),
            Req("GET", "/errors/400"), Req("GET", "/route/a"), Req("GET", "/x?mode=json"),
            Req("GET", "/empty"), Req("PUT", "/other"), Req("GET", "/%61pi/x"),
        ])


PATTERNS = ["/hello", "/api/*", "*.php", "*/mid/*", "/a/*/c", "/a/[bc]", "/a%2Fb", "/x//y", "/Case"]
PATHS = ["/hello", "/HELLO", "/%68ello", "/hello/", "/api/x/y", "/api", "/a/b.php", "/q/mid/r",
         "/a/b/c", "/a/b/x/c", "/a/c", "/a%2fb", "/a/b", "/x//y", "/x/y", "/case", "/y/../hello",
         "/api/../hello", "/%2e%2e/hello"]


async def test_path_matcher_table(caddy_bin, caddy_env, tmp_path):
    routes = [{"match": [{"path": [p]}], "handle": [{"handler": "static_response", "body": f"matched {p}"}]}
              for p in PATTERNS]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
        await pair.assert_same([Req("GET", p) for p in PATHS])


async def test_matchers_and_placeholders_table(caddy_bin, caddy_env, tmp_path):
    def route(match, body):
        return {"match": [match], "handle": [{"handler": "static_response", "body": body}]}
    routes = [
        route({"path": ["/h"], "header": {"X-A": ["foo*"], "X-B": []}}, "h1"),
        route({"path": ["/h"]}, "h2"),
        route({"path": ["/q"], "query": {"a": ["1", "2"], "b": ["*"]}}, "q1 {http.request.uri.query.a}"),
        route({"path": ["/q"]}, "q2"),
        route({"path": ["/re/*"], "path_regexp": {"name": "p", "pattern": "^/re/([a-z]+)/(\\d+)$"}},
              "re {http.regexp.p.1} {http.regexp.p.2}"),
        route({"path": ["/host"], "host": ["a.example", "*.wild.example"]}, "host ok"),
        route({"path": ["/not"], "not": [{"method": ["POST"]}]}, "not-post"),
        route({"path": ["/expr"], "expression": "{http.request.uri.query.n} == '1' || method('PUT')"}, "expr"),
        route({"path": ["/ph"]},
              "{http.request.host} {http.request.port} {http.request.hostport} {http.request.uri.path.dir} "
              "{http.request.uri.path.file.base} {http.request.header.X-Multi} {http.request.cookie.c} "
              "{http.request.host.labels.1} {http.request.uri.prefixed_query} [{http.request.uri.query.none}]"),
        route({}, "fallback"),
    ]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
        await pair.assert_same([
            Req("GET", "/h", {"X-A": "foobar", "X-B": ""}), Req("GET", "/h", {"X-A": "barfoo", "X-B": "1"}),
            Req("GET", "/h", {"X-A": "foo"}),
            Req("GET", "/q?a=2&b="), Req("GET", "/q?a=3&b=1"), Req("GET", "/q?a=1&a=2&b=x"),
            Req("GET", "/re/abc/42"), Req("GET", "/re/ABC/42"),
            Req("GET", "/host", {"Host": "a.example"}), Req("GET", "/host", {"Host": "x.wild.example:99"}),
            Req("GET", "/host", {"Host": "x.y.wild.example"}),
            Req("GET", "/not"), Req("POST", "/not"),
            Req("GET", "/expr?n=1"), Req("PUT", "/expr"), Req("GET", "/expr?n=2"),
            Req("GET", "/ph/x.tar.gz?z=1", {"Host": "sub.example.test:8080", "X-Multi": "a", "Cookie": "c=v; d=w"}),
        ])


async def test_error_placeholders_and_vars_values(caddy_bin, caddy_env, tmp_path):
    routes = [
        {"match": [{"path": ["/plain"]}], "handle": [{"handler": "error", "status_code": 409}]},
        {"match": [{"path": ["/msg"]}], "handle": [{"handler": "error", "status_code": 422, "error": "bad {http.request.uri.query.x}"}]},
        {"match": [{"path": ["/default"]}], "handle": [{"handler": "error", "error": "no status"}]},
        {"match": [{"path": ["/vars"]}], "handle": [{"handler": "vars", "n": 5, "b": True, "f": 1.5, "s": "x"},
                                                    {"handler": "static_response", "body": "{http.vars.n} {http.vars.b} {http.vars.f} {http.vars.s}"}]},
    ]
    errors = [{"handle": [{"handler": "static_response",
                           "body": "{http.error.status_code}|{http.error.status_text}|{http.error.message}"}]}]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes, errors)) as pair:
        await pair.assert_same([Req("GET", "/plain"), Req("GET", "/msg?x=y"), Req("GET", "/default"),
                                Req("GET", "/vars")])
