"""Runtime matchers, each through real requests."""
from __future__ import annotations

import pytest

from tests.runtime_core.conftest import respond, server_config


def yes_no(match: dict) -> dict:
    return server_config([{"match": [match], "handle": [respond("yes")]}, {"handle": [respond("no")]}])


@pytest.mark.parametrize("pattern,path,expected", [
    ("/hello", "/hello", "yes"),
    ("/hello", "/HELLO", "yes"),            # case-insensitive
    ("/hello", "/%68ello", "yes"),          # decoded
    ("/hello", "/hello/", "no"),
    ("/api/*", "/api/x/y", "yes"),          # prefix
    ("/api/*", "/api", "no"),
    ("*.php", "/a/b.php", "yes"),           # suffix
    ("*/mid/*", "/a/mid/b", "yes"),         # substring
    ("/a/*/c", "/a/b/c", "yes"),            # glob: * does not cross /
    ("/a/*/c", "/a/b/x/c", "no"),
    ("/a/[bc]", "/a/c", "yes"),
    ("/x", "/y/../x", "yes"),               # cleaned
    ("*", "/anything", "yes"),
    ("/a%2Fb", "/a%2fb", "yes"),            # pattern with % compares escaped
    ("/a%2Fb", "/a/b", "no"),
])
async def test_path(serve, pattern, path, expected):
    s = await serve(yes_no({"path": [pattern]}))
    assert await s.body(path) == expected


async def test_host(serve):
    s = await serve(yes_no({"host": ["example.com", "*.wild.test"]}))
    assert await s.body("/", headers={"Host": "EXAMPLE.com"}) == "yes"
    assert await s.body("/", headers={"Host": "example.com:8080"}) == "yes"
    assert await s.body("/", headers={"Host": "a.wild.test"}) == "yes"
    assert await s.body("/", headers={"Host": "a.b.wild.test"}) == "no"
    assert await s.body("/", headers={"Host": "other.com"}) == "no"


async def test_method(serve):
    s = await serve(yes_no({"method": ["PUT", "DELETE"]}))
    assert (await s.request("PUT", "/"))[2] == "yes"
    assert await s.body("/") == "no"


async def test_header(serve):
    s = await serve(yes_no({"header": {"X-A": ["foo*"], "X-B": [], "X-Gone": None}}))
    assert await s.body("/", headers={"X-A": "foobar", "X-B": "anything"}) == "yes"
    assert await s.body("/", headers={"X-A": "barfoo", "X-B": "1"}) == "no"
    assert await s.body("/", headers={"X-A": "foo"}) == "no"  # X-B must exist
    assert await s.body("/", headers={"X-A": "foo", "X-B": "1", "X-Gone": "1"}) == "no"


async def test_header_regexp_captures(serve):
    s = await serve(server_config([
        {"match": [{"header_regexp": {"X-Id": {"name": "id", "pattern": "^user-(\\d+)$"}}}],
         "handle": [respond("id={http.regexp.id.1}")]},
    ]))
    assert await s.body("/", headers={"X-Id": "user-42"}) == "id=42"


async def test_path_regexp_captures(serve):
    s = await serve(server_config([
        {"match": [{"path_regexp": {"name": "p", "pattern": "^/u/(?P<user>[a-z]+)/(\\d+)$"}}],
         "handle": [respond("{http.regexp.p.user} {http.regexp.p.2} {http.regexp.p.0}")]},
    ]))
    assert await s.body("/u/ann/7") == "ann 7 /u/ann/7"


async def test_query(serve):
    s = await serve(yes_no({"query": {"a": ["1", "2"], "b": ["*"]}}))
    assert await s.body("/?a=2&b=zz") == "yes"
    assert await s.body("/?a=3&b=zz") == "no"
    assert await s.body("/?a=1") == "no"


async def test_protocol_and_remote_ip(serve):
    s = await serve(server_config([
        {"match": [{"protocol": "https"}], "handle": [respond("https")]},
        {"match": [{"remote_ip": {"ranges": ["10.0.0.0/8"]}}], "handle": [respond("ten")]},
        {"match": [{"client_ip": {"ranges": ["127.0.0.1/32"]}, "protocol": "http/1.1"}], "handle": [respond("local")]},
    ]))
    assert await s.body("/") == "local"


async def test_not(serve):
    s = await serve(yes_no({"not": [{"path": ["/admin*"]}, {"method": ["DELETE"]}]}))
    assert await s.body("/public") == "yes"
    assert await s.body("/admin/x") == "no"
    assert (await s.request("DELETE", "/public"))[2] == "no"


async def test_vars_regexp(serve):
    s = await serve(server_config([
        {"handle": [{"handler": "vars", "ua": "{http.request.header.User-Agent}"}]},
        {"match": [{"vars_regexp": {"ua": {"name": "v", "pattern": "curl/(\\d+)"}}}],
         "handle": [respond("curl {http.regexp.v.1}")]},
        {"handle": [respond("other")]},
    ]))
    assert await s.body("/", headers={"User-Agent": "curl/8"}) == "curl 8"
    assert await s.body("/", headers={"User-Agent": "wget"}) == "other"


async def test_file_try_files(serve, tmp_path):
    (tmp_path / "index.html").write_text("idx")
    (tmp_path / "sub").mkdir()
    s = await serve(server_config([
        {"match": [{"file": {"root": str(tmp_path), "try_files": ["{http.request.uri.path}", "/index.html"]}}],
         "handle": [respond("{http.matchers.file.relative} {http.matchers.file.type}")]},
        {"handle": [respond("none")]},
    ]))
    assert await s.body("/missing") == "/index.html file"
    assert await s.body("/index.html") == "/index.html file"
    s2 = await serve(server_config([
        {"match": [{"file": {"root": str(tmp_path), "try_files": ["{http.request.uri.path}/"]}}],
         "handle": [respond("{http.matchers.file.type}")]},
        {"handle": [respond("none")]},
    ]))
    assert await s2.body("/sub") == "directory"
    assert await s2.body("/index.html") == "none"


async def test_file_error_code_fallback(serve, tmp_path):
    s = await serve(server_config(
        [{"match": [{"file": {"root": str(tmp_path), "try_files": ["{http.request.uri.path}", "=404"]}}],
          "handle": [respond("found")]}],
        errors=[{"handle": [respond("gone {http.error.status_code}")]}]))
    status, _, body = await s.get("/nope")
    assert (status, body) == (404, "gone 404")


@pytest.mark.parametrize("expr,path,expected", [
    ("path('/a', '/b*')", "/bx", "yes"),
    ("path('/a') || method('POST')", "/z", "no"),
    ("!path('/a') && {http.request.uri.query.x} == 'y'", "/z?x=y", "yes"),
    ("{http.request.method} in ['GET', 'HEAD']", "/", "yes"),
    ("header({'X-T': 'v*'})", "/", "no"),
    ("{http.request.uri.path}.startsWith('/ap')", "/api", "yes"),
    ("size({http.request.uri.path}) > 3", "/abcd", "yes"),
])
async def test_expression(serve, expr, path, expected):
    s = await serve(yes_no({"expression": expr}))
    assert await s.body(path) == expected


async def test_expression_error_status_forms(serve):
    s = await serve(server_config(
        [{"match": [{"path": ["/e/*"]}], "handle": [{"handler": "error", "status_code": "{http.request.uri.path.1}"}]}],
        errors=[
            {"match": [{"expression": "{http.error.status_code} in [404, 410]"}], "handle": [respond("gone")]},
            {"match": [{"expression": "{http.error.status_code} >= 500 && {http.error.status_code} <= 599"}],
             "handle": [respond("server")]},
        ]))
    assert (await s.get("/e/410"))[:3:2] == (410, "gone")
    assert (await s.get("/e/503"))[:3:2] == (503, "server")
    assert (await s.get("/e/400"))[:3:2] == (400, "")  # no error route matched: the bare status


async def test_bad_expression_fails_the_load(serve):
    from caddy_py.config.context import ConfigError

    with pytest.raises(ConfigError, match="expression"):
        await serve(yes_no({"expression": "frobnicate(1)"}))


async def test_client_ip_with_trusted_proxies(serve):
    cfg = server_config([{"handle": [respond("{http.vars.client_ip} {http.vars.trusted_proxy}")]}])
    srv = cfg["apps"]["http"]["servers"]["srv0"]
    srv["trusted_proxies"] = {"source": "static", "ranges": ["127.0.0.1/32", "10.0.0.0/8"]}
    s = await serve(cfg)
    assert await s.body("/") == "127.0.0.1 true"
    assert await s.body("/", headers={"X-Forwarded-For": "1.2.3.4, 10.0.0.9"}) == "1.2.3.4 true"
    srv["trusted_proxies_strict"] = 1
    s2 = await serve(cfg)
    assert await s2.body("/", headers={"X-Forwarded-For": "5.6.7.8, 1.2.3.4, 10.0.0.9"}) == "1.2.3.4 true"
    del srv["trusted_proxies"]
    s3 = await serve(cfg)
    assert await s3.body("/", headers={"X-Forwarded-For": "1.2.3.4"}) == "127.0.0.1 false"


async def test_error_id_is_random_per_error(serve):
    s = await serve(server_config([{"handle": [{"handler": "error", "status_code": 500}]}],
                                  errors=[{"handle": [respond("{http.error.id}")]}]))
    a, b = await s.body("/"), await s.body("/")
    assert len(a) == 9 and a.isalnum() and a != b
