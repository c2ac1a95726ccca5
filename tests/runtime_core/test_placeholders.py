"""Replacer vocabulary and syntax, through requests and directly."""
from __future__ import annotations

import os

import pytest

from caddy_py.replacer import PlaceholderError, Replacer
from tests.runtime_core.conftest import respond, server_config


def test_replacer_syntax():
    r = Replacer()
    r.set("a", "X")
    r.set("n", 5)
    r.set("b", True)
    r.set("l", ["p", "q"])
    assert r.replace_known("{a}{n}{b}{l} {unknown} \\{a\\}") == "X5truep,q {unknown} {a}"
    assert r.replace_all("{a}-{unknown}-{empty}", "?") == "X-?-?"
    with pytest.raises(PlaceholderError, match="unrecognized placeholder {zz}"):
        r.replace_or_err("{zz}", err_on_unknown=True)
    r.set("e", "")
    with pytest.raises(PlaceholderError, match="is empty"):
        r.replace_or_err("{e}", err_on_empty=True)
    assert r.replace_known("{a") == "{a"
    os.environ["CADDY_PY_TEST_VAR"] = "env!"
    assert r.replace_all("{env.CADDY_PY_TEST_VAR}") == "env!"
    assert r.get("system.slash") == ("/", True)
    assert r.get("time.now.unix")[0].isdigit()


PLACEHOLDERS = {
    "{http.request.method}": "GET",
    "{http.request.uri}": "/a/b.txt?x=1&x=2&y=",
    "{http.request.uri.path}": "/a/b.txt",
    "{http.request.uri.path.0}": "a",
    "{http.request.uri.path.1}": "b.txt",
    "{http.request.uri.path.5}": "",
    "{http.request.uri.path.file}": "b.txt",
    "{http.request.uri.path.dir}": "/a/",
    "{http.request.uri.path.file.base}": "b",
    "{http.request.uri.path.file.ext}": ".txt",
    "{http.request.uri.query}": "x=1&x=2&y=",
    "{http.request.uri.query.x}": "1,2",
    "{http.request.uri.prefixed_query}": "?x=1&x=2&y=",
    "{http.request.host}": "example.test",
    "{http.request.port}": "8443",
    "{http.request.hostport}": "example.test:8443",
    "{http.request.host.labels.0}": "test",
    "{http.request.scheme}": "http",
    "{http.request.proto}": "HTTP/1.1",
    "{http.request.remote.host}": "127.0.0.1",
    "{http.request.header.X-Thing}": "a,b",
    "{http.request.cookie.sid}": "s3",
    "{http.request.orig_uri}": "/a/b.txt?x=1&x=2&y=",
    "{http.vars.unset}": "",
    "{not.a.placeholder}": "{not.a.placeholder}",
}


async def test_request_placeholders(serve):
    body = "\n".join(PLACEHOLDERS)
    s = await serve(server_config([{"handle": [respond(body)]}]))
    text = await s.body("/a/b.txt?x=1&x=2&y=", headers=[
        ("Host", "example.test:8443"), ("X-Thing", "a"), ("X-Thing", "b"), ("Cookie", "sid=s3; other=1")])
    assert dict(zip(PLACEHOLDERS, text.split("\n"))) == PLACEHOLDERS


async def test_response_header_placeholder_in_error_route(serve):
    s = await serve(server_config(
        [{"handle": [{"handler": "error", "status_code": 502, "error": "upstream down"}]}],
        errors=[{"handle": [respond("{http.error.status_code} {http.error.status_text} {http.error.message}")]}]))
    status, _, body = await s.get("/")
    assert (status, body) == (502, "502 Bad Gateway upstream down")
