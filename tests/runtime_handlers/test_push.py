"""`push` over HTTP/1.1: the config loads and the responses are Caddy's (nothing is pushed, no
header is added or removed), the same Caddyfile served by caddy and caddy-py."""
from __future__ import annotations

import pytest

from caddy_py.config.context import ConfigError
from caddy_py.modules.push.handler import Push
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same

pytestmark = pytest.mark.timeout(60)

CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\tpush /a.css {{
\t\tGET /b.js
\t\theaders {{
\t\t\tX-Pushed yes
\t\t\t-User-Agent
\t\t}}
\t}}
\tpush
\theader /linked Link "</c.css>; rel=preload"
\trespond "hello {{http.request.header.Caddy-Push}}"
}}
"""


async def test_push_serves_like_caddy_on_http1(caddy_bin, caddy_env, tmp_path) -> None:
    async with Pair(caddy_bin, tmp_path, caddy_env, lambda port: CADDYFILE.format(port=port)) as pair:
        await assert_same(pair, [
            Req("GET", "/"), Req("GET", "/linked"), Req("GET", "/", headers={"Caddy-Push": "1"}),
            Req("HEAD", "/linked"), Req("POST", "/x", body=b"data"),
        ], ("Link", "Content-Type", "Content-Length", "Server", "X-Pushed"))


def test_push_rejects_a_bad_header_regexp() -> None:
    with pytest.raises(ConfigError, match="provisioning header operations"):
        Push.from_json({"resources": [{"target": "/a"}],
                        "headers": {"replace": {"A": [{"search_regexp": "("}]}}})
