"""`rewrite`: every operation, with escapes and placeholders, against the real caddy; plus the
Go URL helpers it rests on."""
from __future__ import annotations

import posixpath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caddy_py.modules.rewrite import gourl
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch, json_config

pytestmark = pytest.mark.timeout(60)

ECHO = {"handler": "static_response",
        "body": "{http.request.method} {http.request.uri} | {http.request.uri.path} | {http.request.uri.query}"}


def _route(path: str, rewrite: dict) -> dict:
    return {"match": [{"path": [path]}], "handle": [dict(rewrite, handler="rewrite"), ECHO], "terminal": True}


REWRITES = [
    _route("/uri/*", {"uri": "/new{http.request.uri.path}?a={http.request.uri.query.q}&b=x y"}),
    _route("/keepq/*", {"uri": "/kept?{http.request.uri.query}&added=1"}),
    _route("/pathonly/*", {"uri": "/only/here"}),
    _route("/qonly/*", {"uri": "?z=1"}),
    _route("/method/*", {"method": "post"}),
    _route("/strip/*", {"strip_path_prefix": "/strip"}),
    _route("/suffix/*", {"strip_path_suffix": ".html"}),
    _route("/sub/*", {"uri_substring": [{"find": "sub", "replace": "SUB", "limit": 1},
                                        {"find": "a", "replace": "b"}]}),
    _route("/re/*", {"path_regexp": [{"find": "/(\\d+)/(?P<w>\\w+)", "replace": "/${w}/$1x"}]}),
    _route("/re2/*", {"path_regexp": [{"find": "/(\\d+)(\\.\\w+)?$", "replace": "/n$1${2}/"}]}),
    _route("/query/*", {"query": {"rename": [{"key": "old", "val": "new"}],
                                  "set": [{"key": "s", "val": "set {http.request.method}"}],
                                  "add": [{"key": "a", "val": "2"}],
                                  "replace": [{"key": "r", "search_regexp": "(\\d)", "replace": "<$1>"}],
                                  "delete": ["gone"]}}),
]


async def test_rewrites_match_caddy(caddy_bin, caddy_env, tmp_path):
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(REWRITES)) as pair:
        await assert_same(pair, [
            Req("GET", "/uri/x%20y?q=hello%26world"), Req("GET", "/uri/a"),
            Req("GET", "/keepq/p?x=1&y=%2F"), Req("GET", "/pathonly/p?keep=1"), Req("GET", "/qonly/p?old=1"),
            Req("GET", "/method/p"),
            Req("GET", "/strip/rest/of?x=1"), Req("GET", "/strip"), Req("GET", "/STRIP/upper"),
            Req("GET", "/strip%2Fencoded"), Req("GET", "/strip//double"), Req("GET", "/strip///triple/./x//"),
            Req("GET", "/suffix/page.html"), Req("GET", "/suffix/page.htm"),
            Req("GET", "/sub/sub/sub?a=a"), Req("GET", "/sub///a/./b//"), Req("GET", "/re/12/ab/34/cd"), Req("GET", "/re/none"),
            Req("GET", "/re2/7.txt"), Req("GET", "/re2/7"),
            Req("GET", "/query/p?old=1&s=0&a=1&r=a1b2&gone=x&keep=%20y"), Req("GET", "/query/p"),
        ])
        status, _, body = await fetch(pair.ports["py"], Req("GET", "/strip/rest/of?x=1"), ())
        assert (status, body) == (200, b"GET /rest/of?x=1 | /rest/of | x=1")


@given(st.text(alphabet="/.ab", max_size=12).map(lambda s: "/" + s))
def test_clean_matches_posix_for_rooted_paths(p):
    want = posixpath.normpath(p)
    if want.startswith("//"):  # POSIX keeps a leading "//", Go does not
        want = "/" + want.lstrip("/")
    assert gourl.clean(p) == want


def test_escape_round_trip_and_errors():
    assert gourl.escape_path("/a b/ü!") == "/a%20b/%C3%BC%21"
    assert gourl.unescape(gourl.escape_path("/x y/%z")) == "/x y/%z"
    with pytest.raises(ValueError):
        gourl.unescape("/bad%zz")
    assert gourl.encode_query(gourl.parse_query("b=2&a=1&a=x+y&c&bad=%zz&semi=1;2")) == "a=1&a=x+y&b=2&c="
    assert gourl.clean_path("/a//b/../c/", merge_slashes=False) == "/a//c/"
    assert gourl.clean_path("/a//b/../c/", merge_slashes=True) == "/a/c/"
