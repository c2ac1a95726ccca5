"""`intercept`: the same configs served by caddy and caddy-py, answers compared: status and
header matchers, handle_response routes with the {http.intercept.*} placeholders, replace_status,
routes that write no status or no body, errors from the routes, streamed originals (file_server,
reverse_proxy) and unmatched responses passing through."""
from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, json_config, start_upstream

pytestmark = pytest.mark.timeout(90)

HEADERS = ("Content-Type", "X-Orig", "X-New", "X-Up", "X-Accel-Redirect", "Etag", "Content-Encoding",
           "Vary", "X-Outer", "Server", "Via")


def respond(body: str, status: int = 200, **headers: list[str]) -> dict[str, Any]:
    return {"handler": "static_response", "status_code": status, "body": body,
            **({"headers": headers} if headers else {})}


def intercept(*handle_response: dict[str, Any]) -> dict[str, Any]:
    return {"handler": "intercept", "handle_response": list(handle_response)}


def routes_of(*handlers: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"handle": list(handlers)}]


def at(path: str, *handlers: dict[str, Any]) -> dict[str, Any]:
    return {"match": [{"path": [path]}], "terminal": True, "handle": list(handlers)}


def _routes(site: str, up: int) -> list[dict[str, Any]]:
    orig404 = respond("nope", 404, **{"X-Orig": ["o"], "Content-Type": ["text/x"]})
    return [
        at("/a", intercept({"match": {"status_code": [404]}, "routes": routes_of(
            respond("replaced {http.intercept.status_code} {http.intercept.header.X-Orig}"))}), orig404),
        at("/b", intercept({"match": {"status_code": [4]}, "routes": routes_of(
            {"handler": "headers", "response": {"set": {"X-New": ["n"]}}})}), orig404),
        at("/c", intercept({"match": {"headers": {"X-Orig": ["o"]}}, "status_code": "2{http.request.uri.query.x}"}),
           orig404),
        at("/d", intercept({"match": {"status_code": [500]}, "routes": routes_of(respond("never"))}), orig404),
        at("/e", intercept({"routes": routes_of({"handler": "error", "status_code": 503, "error": "boom"})}),
           respond("orig")),
        at("/e2", intercept({"routes": routes_of(respond("x"))}), {"handler": "error", "status_code": 502}),
        at("/g", intercept({"routes": routes_of(respond("", 202, **{"X-Orig": ["new"]}))}), orig404),
        at("/h", intercept({"match": {"headers": {"X-Absent": None}}, "routes": routes_of(
            respond("absent {http.intercept.header.Server}"))}), orig404),
        # an outer header op sees only the final response
        at("/outer", {"handler": "headers", "response": {"add": {"X-Outer": ["1"]}, "deferred": True}},
           intercept({"match": {"status_code": [404]}, "routes": routes_of(respond("o2", 201))}), orig404),
        at("/encoded", {"handler": "encode", "encodings": {"gzip": {}}, "minimum_length": 1},
           intercept({"match": {"status_code": [404]}, "routes": routes_of(respond("enc " * 20))}), orig404),
        # streamed originals
        at("/site/*", intercept({"match": {"status_code": [404]}, "routes": routes_of(
            {"handler": "rewrite", "uri": "/site/index.txt"}, {"handler": "file_server", "root": site})}),
           {"handler": "rewrite", "strip_path_prefix": "/site"}, {"handler": "file_server", "root": site}),
        at("/proxy/*", intercept(
            {"match": {"headers": {"X-Accel-Redirect": []}}, "routes": routes_of(
                {"handler": "rewrite", "uri": "{http.intercept.header.X-Accel-Redirect}"},
                {"handler": "file_server", "root": site})},
            {"match": {"status_code": [418]}, "status_code": 200}),
           {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}),
    ]


async def _upstream(request: web.Request) -> web.StreamResponse:
    if request.path == "/proxy/accel":
        return web.Response(headers={"X-Accel-Redirect": "/index.txt", "X-Up": "u"})
    if request.path == "/proxy/teapot":
        return web.Response(status=418, text="short and stout", headers={"X-Up": "t"})
    resp = web.StreamResponse(headers={"X-Up": "s", "Content-Type": "text/plain"})
    await resp.prepare(request)
    await resp.write(b"streamed ")
    await resp.write(b"body")
    return resp


async def _decoded(port: int, path: str) -> tuple[int, str, bytes]:
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{port}{path}", headers={"Accept-Encoding": "gzip"}) as r:
            return r.status, r.headers.get("Content-Encoding", ""), await r.read()


async def test_intercept_matches_caddy(caddy_bin, caddy_env, tmp_path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.txt").write_text("the index")
    (site / "page.txt").write_text("a page")
    runner, up = await start_upstream(_upstream)
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, json_config(_routes(str(site), up),
                        errors=routes_of(respond("err {http.error.status_code}")))) as pair:
            await assert_same(pair, [
                Req("GET", "/a"), Req("HEAD", "/a"), Req("GET", "/b"), Req("GET", "/c?x=01"), Req("GET", "/c?x=zz"),
                Req("GET", "/d"), Req("GET", "/e"), Req("GET", "/e2"), Req("GET", "/g"), Req("GET", "/h"), Req("GET", "/outer"),
                Req("GET", "/site/page.txt"), Req("GET", "/site/missing.txt"),
                Req("GET", "/proxy/accel"), Req("GET", "/proxy/teapot"), Req("GET", "/proxy/stream"),
            ], HEADERS)
            # Go's gzip bytes differ from zlib's: compare what they decode to
            got = {name: await _decoded(port, "/encoded") for name, port in pair.ports.items()}
            assert got["py"] == got["caddy"] and got["py"][1] == "gzip", got
    finally:
        await runner.cleanup()


CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\theader X-Site s
\troute {{
\t\tintercept {{
\t\t\t@500 status 500
\t\t\treplace_status @500 400
\t\t\t@tagged header X-Tag *
\t\t\thandle_response @tagged {{
\t\t\t\theader X-Status "{{resp.status_code}} {{resp.header.X-Tag}} {{resp.header.X-Site}}"
\t\t\t}}
\t\t\t@teapot {{
\t\t\t\tstatus 418
\t\t\t\theader X-Site s
\t\t\t}}
\t\t\thandle_response @teapot {{
\t\t\t\trespond "teapot was {{resp.status_code}}" 200
\t\t\t}}
\t\t}}
\t\trespond /500 "broken" 500
\t\trespond /tea 418
\t\theader /tagged X-Tag v1
\t\trespond "fine {{path}}"
\t}}
}}
"""


async def test_intercept_caddyfile_matches_caddy(caddy_bin, caddy_env, tmp_path) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        await assert_same(pair, [Req("GET", "/500"), Req("GET", "/tea"), Req("GET", "/tagged"), Req("GET", "/x"),
                                 Req("POST", "/tagged", body=b"abc")],
                          ("Content-Type", "Content-Length", "X-Status", "X-Tag", "X-Site"))
