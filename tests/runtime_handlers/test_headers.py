"""`headers`: request and response operations, deferral and `require`, against the real caddy."""
from __future__ import annotations

import pytest

from tests.runtime_core.conftest import respond, server_config
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch, json_config

pytestmark = pytest.mark.timeout(60)

NAMES = ("X-A", "X-B", "X-Multi", "Server", "Content-Type", "X-Up", "Cache-Control", "X-Req-Echo")


def _route(path: str, *handlers: dict) -> dict:
    return {"match": [{"path": [path]}], "handle": list(handlers), "terminal": True}


async def test_response_ops_match_caddy(caddy_bin, caddy_env, tmp_path):
    routes = [
        _route("/set", {"handler": "headers", "response": {"set": {"X-A": ["one", "two"]}, "add": {"X-Multi": ["a", "b"]}}},
               respond("x")),
        _route("/replace", {"handler": "headers", "response": {
            "replace": {"Content-Type": [{"search_regexp": "^text/(\\w+).*", "replace": "app/$1"}],
                        "X-B": [{"search": "foo", "replace": "bar"}]},
            "deferred": True}},
            respond("x", headers={"X-B": ["foofoo"]})),
        _route("/delete", {"handler": "headers", "response": {"delete": ["Server", "X-Up*"], "deferred": True}},
               respond("x", headers={"X-Up": ["1"], "X-Upper": ["2"]})),
        # a deferred block runs after later (inner) header lines: its set wins
        _route("/order", {"handler": "headers", "response": {"set": {"X-A": ["outer"]}, "deferred": True}},
               {"handler": "headers", "response": {"set": {"X-A": ["inner"]}}}, respond("x")),
        _route("/require", {"handler": "headers", "response": {
            "set": {"Cache-Control": ["no-store"]}, "require": {"status_code": [4]}}},
            {"handler": "static_response", "status_code": "{http.request.uri.query.s}", "body": "r"}),
        _route("/placeholder", {"handler": "headers", "response": {"set": {"X-A": ["{http.request.method} {nope}"]}}},
               respond("x")),
        _route("/req", {"handler": "headers", "request": {
            "set": {"X-Req-Echo": ["{http.request.header.X-In}-set"]}, "delete": ["X-Gone"],
            "replace": {"X-In": [{"search_regexp": "(\\d+)", "replace": "<$1>"}]}}},
            respond("{http.request.header.X-Req-Echo}|{http.request.header.X-In}|{http.request.header.X-Gone}")),
        _route("/host", {"handler": "headers", "request": {"set": {"Host": ["example.net"]}}},
               respond("{http.request.host}")),
    ]
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
        await assert_same(pair, [
            Req("GET", "/set"), Req("GET", "/replace"), Req("GET", "/delete"), Req("GET", "/order"),
            Req("GET", "/require?s=404"), Req("GET", "/require?s=200"), Req("GET", "/placeholder"),
            Req("POST", "/placeholder"),
            Req("GET", "/req", headers={"X-In": "a12b", "X-Gone": "bye"}), Req("GET", "/host"),
        ], NAMES)
        status, headers, _ = await fetch(pair.ports["py"], Req("GET", "/order"), NAMES)
        assert (status, headers["X-A"], headers["Server"]) == (200, ["outer"], ["Caddy"])


async def test_deferred_ops_skip_error_response_but_immediate_ones_stay(serve):
    routes = [{"handle": [
        {"handler": "headers", "response": {"set": {"X-A": ["now"]}}},
        {"handler": "headers", "response": {"set": {"X-B": ["later"]}, "deferred": True}},
        {"handler": "error", "status_code": 404},
    ]}]
    errors = [{"handle": [respond("oops")]}]
    s = await serve(server_config(routes, errors))
    status, headers, body = await s.get("/")
    assert (status, body) == (404, "oops")
    assert headers.get("X-A") == "now"
    assert "X-B" not in headers


async def test_bad_regexp_is_a_config_error(serve):
    from caddy_py.config.context import ConfigError

    routes = [{"handle": [{"handler": "headers", "response": {"replace": {"X": [{"search_regexp": "(", "replace": ""}]}}}]}]
    with pytest.raises(ConfigError, match="replacement 0 for header field 'X'"):
        await serve(server_config(routes))


async def test_immediate_ops_come_before_proxied_fields(caddy_bin, caddy_env, tmp_path):
    from aiohttp import web

    from tests.runtime_handlers.differ import start_upstream

    async def up(request: web.Request) -> web.Response:
        return web.Response(text="u", headers={"Cache-Control": "no-cache", "X-Up": "1", "X-Gone": "g"})

    runner, port = await start_upstream(up)
    routes = [{"handle": [
        {"handler": "headers", "response": {"set": {"Cache-Control": ["public"]}, "add": {"X-Up": ["added"]}}},
        {"handler": "headers", "response": {"set": {"X-New": ["new"]}, "delete": ["X-Gone"]}},
        {"handler": "headers", "response": {"add": {"X-Late": ["z"]}, "deferred": True}},
        {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}]},
    ]}]
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, json_config(routes)) as pair:
            await assert_same(pair, [Req("GET", "/")], ("Cache-Control", "X-Up", "X-New", "X-Gone", "X-Late"))
    finally:
        await runner.cleanup()
