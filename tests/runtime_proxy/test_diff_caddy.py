"""Differential checks against the real `caddy run` for the behaviours in RUNTIME-NOTES 1-3, 10,
12: the same JSON config served by both, the same requests, answers compared. Upstreams are
real aiohttp servers in this process; what they saw is reported back in the response body."""
from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any, Callable

import aiohttp
import pytest
from aiohttp import web

from tests.runtime_core.diff import Pair

from .harness import start_upstream
from .test_proxy_basics import _dead_port

pytestmark = pytest.mark.timeout(90)
NAME = web.AppKey("name", str)

SEEN = ("Via", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Accept-Encoding",
        "User-Agent", "Connection", "Te", "X-Drop", "Upgrade", "Content-Length", "Transfer-Encoding")


def servers(routes_for: Callable[[int], list[dict[str, Any]]]) -> Callable[[int], dict[str, Any]]:
    def make(port: int) -> dict[str, Any]:
        return {"apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{port}"],
                                                       "routes": routes_for(port)}}}}}
    return make


async def fetch(port: int, method: str, path: str, **kw: Any) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as s:
        async with s.request(method, f"http://127.0.0.1:{port}{path}", allow_redirects=False, **kw) as r:
            body = await r.read()
            return r.status, {k: ",".join(r.headers.getall(k)) for k in set(r.headers.keys())}, body


def pick(headers: dict[str, str], names: tuple[str, ...]) -> dict[str, str]:
    low = {k.lower(): v for k, v in headers.items()}
    return {n: low[n.lower()] for n in names if n.lower() in low}


async def both(pair: Pair, method: str, path: str, names: tuple[str, ...], **kw: Any):
    out = []
    for name in ("caddy", "py"):
        try:
            status, headers, body = await fetch(pair.ports[name], method, path, **kw)
        except aiohttp.ClientError as e:
            raise AssertionError(f"{name}: {method} {path} {kw}: {e}") from e
        body = body.replace(str(pair.ports[name]).encode(), b"PORT")
        out.append((status, pick(headers, names), body))
    return out


@pytest.fixture
async def echo_port():
    async def echo(request: web.Request) -> web.Response:
        seen = {k: ",".join(request.headers.getall(k)) for k in SEEN if k in request.headers}
        body = json.dumps({"method": request.method, "path": request.raw_path, "seen": seen,
                           "body": (await request.read()).decode()}, sort_keys=True)
        status = int(request.query.get("status", "200"))
        return web.Response(text=body, status=status, headers={"Server": "up", "X-Up": "1"},
                            content_type="application/json")

    runner, port = await start_upstream(handler=echo)
    yield port
    await runner.cleanup()


async def test_forwarded_headers_via_and_server(caddy_bin, caddy_env, tmp_path, echo_port):
    """RUNTIME-NOTES 1 (+ hop-by-hop removal, Go's Accept-Encoding: gzip, empty User-Agent)."""
    routes = lambda port: [{"handle": [{"handler": "reverse_proxy",  # noqa: E731
                                        "upstreams": [{"dial": f"127.0.0.1:{echo_port}"}]}]}]
    names = ("Via", "Server", "X-Up", "Content-Type", "Content-Length")
    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        for method, path, kw in [
            ("GET", "/a?b=1", {"headers": {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Proto": "https",
                                          "X-Forwarded-Host": "evil", "Connection": "X-Drop",
                                          "X-Drop": "1", "Te": "trailers, deflate"}}),
            ("GET", "/plain", {"skip_auto_headers": ["User-Agent", "Accept-Encoding"]}),
            ("POST", "/p", {"data": b"payload"}),
            ("HEAD", "/h", {}),
            ("GET", "/s?status=503", {}),
        ]:
            want, got = await both(pair, method, path, names, **kw)
            assert got == want, f"{method} {path}"


async def test_first_policy_dead_upstream_then_passive_state_shared(caddy_bin, caddy_env, tmp_path, echo_port):
    """RUNTIME-NOTES 2 and 3: the first request 502s; the failure is seen by another route."""
    dead = _dead_port()
    passive = {"passive": {"fail_duration": "1m", "max_fails": 1}}

    def routes(port: int) -> list[dict[str, Any]]:
        pool = [{"dial": f"127.0.0.1:{dead}"}, {"dial": f"127.0.0.1:{echo_port}"}]
        return [
            {"match": [{"path": ["/one/*"]}], "handle": [{"handler": "reverse_proxy", "upstreams": pool,
                                                         "load_balancing": {"selection_policy": {"policy": "first"}},
                                                         "health_checks": passive}]},
            {"match": [{"path": ["/two/*"]}], "handle": [{"handler": "reverse_proxy", "upstreams": pool[:1] + pool[1:],
                                                         "load_balancing": {"selection_policy": {"policy": "first"}},
                                                         "health_checks": passive}]},
            {"match": [{"path": ["/retry/*"]}], "handle": [{"handler": "reverse_proxy",
                                                           "upstreams": [{"dial": f"127.0.0.1:{_dead_port()}"}],
                                                           "load_balancing": {"retries": 2}}]},
        ]

    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        for path in ("/one/x", "/two/x", "/one/x", "/retry/x"):
            want, got = await both(pair, "GET", path, ("Content-Length",))
            assert got[0] == want[0], path


async def test_encode_and_file_server_notes(caddy_bin, caddy_env, tmp_path):
    """RUNTIME-NOTES 10: ETag suffix, Vary on every file response, 405 + Allow, /index.html."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text("<p>" + "home " * 200 + "</p>")
    (root / "style.css").write_text("body{color:red}" * 100)
    (root / "style.css.gz").write_bytes(gzip.compress(b"body{color:red}" * 100))
    (root / "app.js").write_text("console.log(1);" * 100)
    (root / "small.txt").write_text("tiny")
    (root / "sub").mkdir()
    (root / "sub" / "f.txt").write_text("f")

    def routes(port: int) -> list[dict[str, Any]]:
        return [
            {"match": [{"path": ["/enc/*"]}], "handle": [
                {"handler": "rewrite", "strip_path_prefix": "/enc"},
                {"handler": "encode", "encodings": {"gzip": {}, "zstd": {}}, "prefer": ["zstd", "gzip"]},
                {"handler": "file_server", "root": str(root)}]},
            {"handle": [{"handler": "file_server", "root": str(root), "browse": {},
                         "precompressed": {"gzip": {}}, "precompressed_order": ["gzip"]}]},
        ]

    names = ("Content-Type", "Content-Encoding", "Vary", "Allow", "ETag", "Last-Modified",
             "Location", "Accept-Ranges", "Content-Range", "Content-Length", "Server")
    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        etag = (await fetch(pair.ports["caddy"], "GET", "/style.css"))[1]["Etag"]
        cases = [
            ("GET", "/index.html", {}), ("GET", "/", {}), ("GET", "/sub", {}), ("GET", "/small.txt/", {}),
            ("GET", "/style.css", {"headers": {"Accept-Encoding": "gzip"}}),
            ("GET", "/style.css", {"headers": {"Accept-Encoding": "identity"}}),
            ("GET", "/style.css", {"headers": {"If-None-Match": etag}}),
            # (with gzip accepted, caddy's 405 keeps the sidecar's Content-Length and no body)
            ("POST", "/style.css", {"data": b"x", "headers": {"Accept-Encoding": "identity"}}),
            ("PUT", "/missing", {}),
            ("GET", "/style.css", {"headers": {"Range": "bytes=3-9"}}),
            ("GET", "/style.css", {"headers": {"Range": "bytes=9999-"}}),
            ("GET", "/../../etc/passwd", {}), ("GET", "/%2e%2e/%2e%2e/etc/passwd", {}),
            ("GET", "/enc/app.js", {"headers": {"Accept-Encoding": "gzip"}}),
            ("GET", "/enc/app.js", {"headers": {"Accept-Encoding": "gzip, zstd"}}),
            ("GET", "/enc/small.txt", {"headers": {"Accept-Encoding": "gzip"}}),
            ("HEAD", "/enc/app.js", {"headers": {"Accept-Encoding": "gzip"}}),
        ]
        for method, path, kw in cases:
            want, got = await both(pair, method, path, names, **kw)
            if "Content-Encoding" in want[1] and want[1]["Content-Encoding"] != "gzip" or path.startswith("/enc/") and method == "GET":
                # dynamically compressed bytes differ between implementations: compare decoded
                want, got = _decoded(want), _decoded(got)
            assert got == want, f"{method} {path} {kw}"
        # browse JSON: same items
        want = (await fetch(pair.ports["caddy"], "GET", "/sub/", headers={"Accept": "application/json"}))
        got = (await fetch(pair.ports["py"], "GET", "/sub/", headers={"Accept": "application/json"}))
        assert json.loads(got[2]) == json.loads(want[2])
        assert got[1]["Content-Type"] == want[1]["Content-Type"]


def _decoded(answer):
    import zstandard

    status, headers, body = answer
    enc = headers.get("Content-Encoding")
    if "Content-Length" in headers:  # compressors differ in bytes, not in whether it is sized
        headers = {**headers, "Content-Length": "set"}
    if enc == "gzip" and body:
        body = gzip.decompress(body)
    elif enc == "zstd" and body:
        body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return status, headers, body


async def test_request_body_limit_gives_413_through_the_proxy(caddy_bin, caddy_env, tmp_path, echo_port):
    """RUNTIME-NOTES 12."""
    def routes(port: int) -> list[dict[str, Any]]:
        return [{"handle": [{"handler": "request_body", "max_size": 10},
                            {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{echo_port}"}]}]}]

    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        for data in (b"short", b"x" * 100):
            want, got = await both(pair, "POST", "/", ("Content-Length",), data=data)
            assert got[0] == want[0], data


async def test_websocket_close_codes_match(caddy_bin, caddy_env, tmp_path):
    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.data == "close":
                await ws.close(code=4002, message=b"upstream says bye")
                break
            await ws.send_str("echo " + msg.data)
        return ws

    runner, up = await start_upstream(handler=ws_handler)
    routes = lambda port: [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]}]  # noqa: E731
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
            results = []
            for name in ("caddy", "py"):
                async with aiohttp.ClientSession() as s:
                    async with s.ws_connect(f"http://127.0.0.1:{pair.ports[name]}/ws") as ws:
                        await ws.send_str("hi")
                        first = (await asyncio.wait_for(ws.receive(), 5)).data
                        await ws.send_str("close")
                        msg = await asyncio.wait_for(ws.receive(), 5)
                        results.append((first, msg.type, msg.data, msg.extra))
            assert results[1] == results[0]
    finally:
        await runner.cleanup()


async def test_error_pages_and_handle_response(caddy_bin, caddy_env, tmp_path, echo_port):
    """RUNTIME-NOTES 7 (a file_server error page keeps the error's status), handle_response
    routes and replace_status, and an upstream without a Server header."""
    root = tmp_path / "errs"
    root.mkdir()
    (root / "404.html").write_text("<h1>custom not found</h1>")
    from .test_proxy_features import raw_upstream

    bare, bare_port = await raw_upstream(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbare")

    def make(port: int) -> dict[str, Any]:
        up = [{"dial": f"127.0.0.1:{echo_port}"}]
        routes = [
            {"match": [{"path": ["/bare"]}], "handle": [
                {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{bare_port}"}]}]},
            {"match": [{"path": ["/hr/*"]}], "handle": [{"handler": "reverse_proxy", "upstreams": up,
                "handle_response": [
                    {"match": {"status_code": [4]}, "routes": [{"handle": [
                        {"handler": "copy_response_headers", "include": ["X-Up"]},
                        {"handler": "static_response", "body": "rp {http.reverse_proxy.status_code}"}]}]},
                    {"match": {"status_code": [503]}, "routes": [{"handle": [
                        {"handler": "copy_response", "status_code": 502}]}]},
                    {"status_code": 202}]}]},
            {"match": [{"path": ["/files/*"]}], "handle": [
                {"handler": "rewrite", "strip_path_prefix": "/files"},
                {"handler": "file_server", "root": str(root)}]},
        ]
        errors = [{"handle": [{"handler": "rewrite", "uri": "/404.html"},
                              {"handler": "file_server", "root": str(root)}]}]
        return {"apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{port}"],
                                                       "routes": routes, "errors": {"routes": errors}}}}}}

    names = ("Server", "Via", "Content-Type", "X-Up", "Content-Length")
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
            for path in ("/files/missing.txt", "/files/404.html", "/hr/a?status=404",
                         "/hr/b?status=503", "/hr/c?status=200", "/bare"):
                want, got = await both(pair, "GET", path, names)
                assert got == want, path
    finally:
        bare.close()


async def test_fastcgi_environment_matches(caddy_bin, caddy_env, tmp_path):
    """The CGI environment caddy builds for a FastCGI upstream, compared variable by variable."""
    from .test_fastcgi import responder

    server = await asyncio.start_server(responder, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    def routes(p: int) -> list[dict[str, Any]]:
        return [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}],
                             "transport": {"protocol": "fastcgi", "root": str(tmp_path),
                                           "split_path": [".php"], "env": {"X": "{http.request.method}"}}}]}]

    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
            for method, path, kw in [
                ("GET", "/a/index.php/more?q=1", {"headers": {"X-Test": "t", "Cookie": "c=1"}}),
                ("POST", "/f.php", {"data": b"a=1", "headers": {"Content-Type": "text/plain"}}),
                ("GET", "/plain/path", {}),
            ]:
                want, got = await both(pair, method, path, ("Content-Type", "X-Fcgi", "Status"), **kw)
                assert got[:2] == want[:2], path
                genv, wenv = json.loads(got[2])["env"], json.loads(want[2])["env"]
                for volatile in ("REMOTE_PORT", "SERVER_SOFTWARE"):
                    genv.pop(volatile, None)
                    wenv.pop(volatile, None)
                assert genv == wenv, path
    finally:
        server.close()


async def test_round_robin_order_and_101_headers(caddy_bin, caddy_env, tmp_path):
    """Round robin visits upstreams in caddy's order; the 101 answer carries the same headers."""
    async def ws_handler(request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return web.Response(text=request.app[NAME])
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    runners, ports = [], []
    for name in ("a", "b", "c"):
        app = web.Application()
        app[NAME] = name
        app.router.add_route("*", "/{t:.*}", ws_handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]

    def routes(p: int) -> list[dict[str, Any]]:
        return [{"handle": [{"handler": "reverse_proxy",
                             "upstreams": [{"dial": f"127.0.0.1:{x}"} for x in ports],
                             "load_balancing": {"selection_policy": {"policy": "round_robin"}}}]}]

    async def upgrade_head(port: int) -> list[str]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                     b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode()
        writer.close()
        lines = head.split("\r\n")
        return [lines[0]] + sorted(line for line in lines[1:] if line and not line.startswith("Date:"))

    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
            orders = []
            for name in ("caddy", "py"):
                seq = []
                for _ in range(4):
                    seq.append((await fetch(pair.ports[name], "GET", "/"))[2])
                orders.append(seq)
            assert orders[1] == orders[0]
            want_head, got_head = await upgrade_head(pair.ports["caddy"]), await upgrade_head(pair.ports["py"])
            assert got_head == want_head, (got_head, want_head)
    finally:
        for r in runners:
            await r.cleanup()


async def test_browse_listings_match(caddy_bin, caddy_env, tmp_path):
    root = tmp_path / "b"
    (root / "dir b").mkdir(parents=True)
    (root / "Alpha").mkdir()
    for name, size in (("zeta.txt", 5), ("beta.bin", 3000), ("Gamma.md", 2_000_000), ("tiny", 1)):
        (root / name).write_bytes(b"x" * size)
    (root / ".hidden").write_text("h")
    routes = lambda p: [{"handle": [{"handler": "file_server", "root": str(root),  # noqa: E731
                                     "browse": {}, "hide": [".hidden"]}]}]
    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        for path in ("/", "/?sort=size", "/?sort=size&order=desc", "/?sort=name&order=desc",
                     "/?sort=namedirfirst&order=desc", "/?limit=2&offset=1", "/dir%20b/"):
            for accept in ("application/json", "text/plain"):
                want, got = await both(pair, "GET", path, ("Content-Type", "Vary", "Set-Cookie"),
                                       headers={"Accept": accept})
                if accept == "application/json":
                    want = (want[0], want[1], json.loads(want[2]))
                    got = (got[0], got[1], json.loads(got[2]))
                assert got == want, (path, accept)


async def test_more_file_server_cases_match(caddy_bin, caddy_env, tmp_path):
    root = tmp_path / "more"
    (root / "txtdir").mkdir(parents=True)
    (root / "txtdir" / "index.txt").write_text("text index")
    (root / "hiddenidx").mkdir()
    (root / "hiddenidx" / "index.html").write_text("secret index")
    (root / "data.unknownext").write_bytes(b"\x00\x01\x02")
    (root / ".env").write_text("dot")
    (root / "big.css").write_text("a{}" * 400)
    (root / "big.css.gz").write_bytes(gzip.compress(b"a{}" * 400))
    (root / "logo.svg").write_text("<svg/>")

    def routes(p: int) -> list[dict[str, Any]]:
        return [
            {"match": [{"path": ["/teapot/*"]}], "handle": [
                {"handler": "rewrite", "strip_path_prefix": "/teapot"},
                {"handler": "file_server", "root": str(root), "status_code": 418}]},
            {"handle": [{"handler": "file_server", "root": str(root), "hide": ["index.html"],
                         "precompressed": {"gzip": {}}, "precompressed_order": ["gzip"]}]},
        ]

    names = ("Content-Type", "Content-Encoding", "Vary", "ETag", "Last-Modified", "Location",
             "Accept-Ranges", "Content-Range", "Content-Length")
    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        lm = (await fetch(pair.ports["caddy"], "GET", "/big.css"))[1]["Last-Modified"]
        for method, path, kw in [
            ("HEAD", "/big.css", {}), ("GET", "/txtdir/", {}), ("GET", "/txtdir", {}),
            ("GET", "/hiddenidx/", {}), ("GET", "/data.unknownext", {}), ("GET", "/.env", {}),
            ("GET", "/logo.svg", {}), ("GET", "/big.css", {"headers": {"If-Modified-Since": lm}}),
            ("GET", "/big.css", {"headers": {"Accept-Encoding": "gzip", "Range": "bytes=0-9"}}),
            ("GET", "/big.css", {"headers": {"Range": "bytes=-5"}}),
            ("GET", "/big.css", {"headers": {"Range": "bytes=abc"}}),
            ("GET", "/teapot/logo.svg", {}), ("GET", "/teapot/missing", {}),
            ("GET", "/a/../../big.css", {}), ("GET", "/big.css?x=1", {}),
        ]:
            want, got = await both(pair, method, path, names, **kw)
            assert got == want, (method, path, kw)


async def test_proxy_header_ops_and_encode_match(caddy_bin, caddy_env, tmp_path, echo_port):
    def routes(p: int) -> list[dict[str, Any]]:
        return [
            {"match": [{"path": ["/enc/*"]}], "handle": [
                {"handler": "encode", "encodings": {"gzip": {}, "zstd": {}}, "minimum_length": 20,
                 "match": {"status_code": [2]}},
                {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{echo_port}"}]}]},
            {"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{echo_port}"}],
                         "trusted_proxies": ["127.0.0.1/32"],
                         "headers": {
                             "request": {"set": {"X-Up-Host": ["{http.reverse_proxy.upstream.host}"],
                                                 "Connection": ["X-Drop"]},
                                         "delete": ["User-Agent"],
                                         "replace": {"X-Drop": [{"search": "a", "replace": "b"}]}},
                             "response": {"add": {"X-Added": ["1", "2"]}, "delete": ["X-Up*"],
                                          "replace": {"Content-Type": [{"search_regexp": "^application/(\\w+)$",
                                                                        "replace": "text/$1"}]},
                                          "require": {"headers": {"Server": ["up"]}}}}}]},
        ]

    names = ("Content-Type", "X-Added", "X-Up", "Content-Encoding", "Vary", "Via", "Server")
    async with Pair(caddy_bin, tmp_path, caddy_env, servers(routes)) as pair:
        for method, path, kw in [
            ("GET", "/h", {"headers": {"X-Forwarded-For": "1.2.3.4", "X-Drop": "aaa"}}),
            ("POST", "/h", {"data": b"xyz"}),
        ]:
            want, got = await both(pair, method, path, names, **kw)
            assert got == want, (method, path)
        for enc in ("gzip", "zstd"):
            for path in ("/enc/a", "/enc/a?status=404"):
                answers = []
                for name in ("caddy", "py"):
                    status, headers, body = _decoded(await fetch(pair.ports[name], "GET", path,
                                                                 headers={"Accept-Encoding": enc}))
                    body = body.replace(str(pair.ports[name]).encode(), b"PORT")
                    answers.append((status, pick(headers, names), body))
                assert answers[1] == answers[0], (enc, path)


async def test_caddyfile_site_end_to_end(caddy_bin, caddy_env, tmp_path, echo_port):
    """A typical Caddyfile (adapted by each implementation) serving static files and an API."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "index.html").write_text("<h1>" + "welcome " * 100 + "</h1>")
    (root / "style.css").write_text("body{margin:0}" * 80)

    def caddyfile(port: int) -> str:
        return f"""{{
    admin off
}}
:{port} {{
    encode zstd gzip
    handle /api/* {{
        reverse_proxy 127.0.0.1:{echo_port} {{
            header_up X-Real-Path {{path}}
            header_down -X-Up
            lb_policy first
        }}
    }}
    handle {{
        root * {root}
        file_server
    }}
}}
"""

    names = ("Content-Type", "Content-Encoding", "Vary", "X-Up", "Via", "Server", "ETag")
    async with Pair(caddy_bin, tmp_path, caddy_env, caddyfile) as pair:
        for path, hdrs in [("/", {}), ("/style.css", {"Accept-Encoding": "gzip"}),
                           ("/api/x?y=1", {}), ("/missing", {})]:
            answers = []
            for name in ("caddy", "py"):
                status, headers, body = _decoded(await fetch(pair.ports[name], "GET", path,
                                                             headers=hdrs))
                answers.append((status, pick(headers, names),
                                body.replace(str(pair.ports[name]).encode(), b"PORT")))
            assert answers[1] == answers[0], path
