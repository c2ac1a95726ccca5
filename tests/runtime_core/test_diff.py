"""Differential tests: real Caddy and caddy-py serve the same config and must answer alike."""
from __future__ import annotations

import pytest

from tests.runtime_core.diff import Pair, Req

pytestmark = pytest.mark.timeout(60)


def json_config(routes, errors=None):
    def make(port):
        srv = {"listen": [f"127.0.0.1:{port}"], "routes": routes}
        if errors is not None:
            srv["errors"] = {"routes": errors}
        return {"apps": {"http": {"servers": {"srv0": srv}}}}
    return make


async def test_respond_and_matchers(caddy_bin, caddy_env, tmp_path):
    routes = [
        {"match": [{"path": ["/hello"]}], "handle": [{"handler": "static_response", "body": "hi {not json} {http.request.uri.query.q}"}]},
        {"match": [{"path": ["/json"]}], "handle": [{"handler": "static_response", "body": "{\"a\": [1, 2]}"}]},
        {"match": [{"path": ["/nocontent"]}], "handle": [{"handler": "static_response", "status_code": 204}]},
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
            Req("GET", "/json"), Req("GET", "/nocontent"), Req("GET", "/hdr"), Req("PUT", "/hdr"),
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
