"""`url_pattern` matcher: the same Caddyfile served by caddy and caddy-py, answers compared
(groups as placeholders, ignore_case, host and port parts, query, base_url, path cleaning)."""
from __future__ import annotations

import pytest

from caddy_py.config.context import ConfigError
from caddy_py.http.matchers.url_pattern import MatchURLPattern
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, fetch

pytestmark = pytest.mark.timeout(60)

CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\t@book url_pattern /books/:id
\trespond @book "book {{http.url_pattern.pathname.id}}"
\t@file url_pattern /files/*.:ext {{
\t\tignore_case
\t}}
\trespond @file "file {{http.url_pattern.pathname.0}} {{http.url_pattern.pathname.ext}}"
\t@host url_pattern http://127.0.0.1:*/h/:x
\trespond @host "host {{http.url_pattern.hostname.0}} {{http.url_pattern.pathname.x}}"
\t@q url_pattern /q?a=:v
\trespond @q "q {{http.url_pattern.search.v}}"
\t@base url_pattern /rel/:n {{
\t\tbase_url http://127.0.0.1
\t}}
\trespond @base "base {{http.url_pattern.pathname.n}}"
\t@dbl url_pattern /d//:x
\trespond @dbl "double {{http.url_pattern.pathname.x}}"
\trespond "none"
}}
"""


async def test_url_pattern_matches_like_caddy(caddy_bin, caddy_env, tmp_path) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        await assert_same(pair, [Req("GET", p) for p in (
            "/books/42", "/BOOKS/42", "/books//42", "/books/a%20b", "/books/x/y", "/files/A.TXT",
            "/Files/x.png", "/files/noext", "/h/zz", "/q?a=1", "/q?b=1", "/rel/5", "/d//7", "/d/7",
            "/books/./9", "/x/../books/8",
        )], ("Content-Type",))
        for path, want in (("/books/42", b"book 42"), ("/Files/x.png", b"file x png"), ("/q?a=1", b"q 1")):
            assert (await fetch(pair.ports["py"], Req("GET", path), ()))[2] == want


def test_url_pattern_rejects_a_bad_pattern() -> None:
    with pytest.raises(ConfigError, match="unable to parse URL pattern"):
        MatchURLPattern.from_json({"pattern": "/a/("}, None)
