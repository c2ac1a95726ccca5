"""Route semantics: matcher sets, handler chains, terminal, groups, subroutes, defaults."""
from __future__ import annotations

from tests.runtime_core.conftest import respond, server_config


async def test_first_matching_route_responds(serve):
    s = await serve(server_config([
        {"match": [{"path": ["/a"]}], "handle": [respond("A")]},
        {"match": [{"path": ["/b"]}, {"method": ["POST"]}], "handle": [respond("B")]},
        {"handle": [respond("fallback")]},
    ]))
    assert await s.body("/a") == "A"
    assert await s.body("/b") == "B"
    assert (await s.request("POST", "/zzz"))[2] == "B"  # sets are OR'ed
    assert await s.body("/c") == "fallback"


async def test_matchers_in_a_set_are_anded(serve):
    s = await serve(server_config([
        {"match": [{"path": ["/a"], "method": ["POST"]}], "handle": [respond("both")]},
        {"handle": [respond("no")]},
    ]))
    assert await s.body("/a") == "no"
    assert (await s.request("POST", "/a"))[2] == "both"


async def test_no_handler_gives_empty_200_with_server_header(serve):
    s = await serve(server_config([{"match": [{"path": ["/x"]}], "handle": [respond("x")]}]))
    status, headers, body = await s.get("/nothing")
    assert (status, body) == (200, "")
    assert headers["Server"] == "Caddy"
    assert headers["Content-Length"] == "0"


async def test_vars_then_matcher_sees_them(serve):
    s = await serve(server_config([
        {"handle": [{"handler": "vars", "who": "{http.request.uri.query.name}"}]},
        {"match": [{"vars": {"who": ["bob"]}}], "handle": [respond("hi bob")]},
        {"handle": [respond("who is {http.vars.who}?")]},
    ]))
    assert await s.body("/?name=bob") == "hi bob"
    assert await s.body("/?name=al") == "who is al?"


async def test_terminal_route_stops_the_chain(serve):
    s = await serve(server_config([
        {"match": [{"path": ["/t"]}], "handle": [{"handler": "vars", "x": "1"}], "terminal": True},
        {"handle": [respond("after")]},
    ]))
    assert await s.body("/t") == ""
    assert await s.body("/other") == "after"


async def test_group_runs_only_first_match(serve):
    s = await serve(server_config([
        {"group": "g", "match": [{"path": ["/a*"]}], "handle": [{"handler": "vars", "v": "first"}]},
        {"group": "g", "handle": [{"handler": "vars", "v": "second"}]},
        {"handle": [respond("{http.vars.v}")]},
    ]))
    assert await s.body("/abc") == "first"
    assert await s.body("/zzz") == "second"


async def test_subroute_continues_outer_chain_when_nothing_matches(serve):
    s = await serve(server_config([
        {"handle": [{"handler": "subroute", "routes": [
            {"match": [{"path": ["/in"]}], "handle": [respond("inner")]},
        ]}]},
        {"handle": [respond("outer")]},
    ]))
    assert await s.body("/in") == "inner"
    assert await s.body("/out") == "outer"


async def test_subroute_error_routes(serve):
    s = await serve(server_config([
        {"handle": [{"handler": "subroute",
                     "routes": [{"handle": [{"handler": "error", "status_code": 418, "error": "teapot"}]}],
                     "errors": {"routes": [{"handle": [respond("sub {http.error.status_code} {http.error.message}")]}]}}]},
    ]))
    status, _, body = await s.get("/")
    assert (status, body) == (418, "sub 418 teapot")


async def test_handler_exception_is_500_without_traceback(serve):
    s = await serve(server_config([
        {"handle": [respond("x", status="{http.request.uri.query.code}")]},
    ]))
    status, _, body = await s.get("/?code=notanumber")
    assert status == 500 and "Traceback" not in body


async def test_abort_closes_the_connection(serve):
    import aiohttp
    import pytest

    s = await serve(server_config([{"handle": [{"handler": "static_response", "abort": True}]}]))
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await s.get("/")


async def test_close_sets_connection_close(serve):
    s = await serve(server_config([{"handle": [respond("bye", close=True)]}]))
    status, headers, body = await s.get("/")
    assert (status, body, headers["Connection"]) == (200, "bye", "close")


async def test_unix_socket_listener(serve, tmp_path):
    import aiohttp

    sock = tmp_path / "caddy.sock"
    cfg = server_config([{"handle": [respond("over unix")]}])
    cfg["apps"]["http"]["servers"]["srv0"]["listen"] = [f"unix/{sock}"]
    await serve(cfg)
    async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=str(sock))) as s:
        async with s.get("http://localhost/") as r:
            assert await r.text() == "over unix"


async def test_invoke_named_route(serve):
    cfg = server_config([
        {"match": [{"path": ["/a"]}], "handle": [{"handler": "vars", "who": "a"}, {"handler": "invoke", "name": "common"}]},
        {"match": [{"path": ["/missing"]}], "handle": [{"handler": "invoke", "name": "nope"}]},
    ])
    cfg["apps"]["http"]["servers"]["srv0"]["named_routes"] = {
        "common": {"handle": [respond("common for {http.vars.who}")]}}
    s = await serve(cfg)
    assert await s.body("/a") == "common for a"
    assert (await s.get("/missing"))[0] == 500


async def test_ipv6_remote_address(serve):
    import socket

    import aiohttp
    import pytest

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    cfg = server_config([{"match": [{"remote_ip": {"ranges": ["::1/128"]}}],
                          "handle": [respond("{http.request.remote} {http.request.remote.host} {http.vars.client_ip}")]}])
    cfg["apps"]["http"]["servers"]["srv0"]["listen"] = ["[::1]:0"]
    try:
        s = await serve(cfg)
    except Exception as e:  # noqa: BLE001 - a host without ::1
        pytest.skip(f"cannot listen on ::1: {e}")
    async with aiohttp.ClientSession() as c:
        async with c.get(f"http://[::1]:{s.port}/") as r:
            remote, host, client = (await r.text()).split(" ")
    assert remote.startswith("[::1]:") and host == "::1" and client == "::1"
