"""`request_body max_size`: 413 only when something reads the body (RUNTIME-NOTES 12)."""
from __future__ import annotations

from typing import AsyncIterator

import pytest
from aiohttp import web

from tests.runtime_core.conftest import respond, server_config
from tests.runtime_core.diff import Pair, Req
from tests.runtime_handlers.differ import assert_same, json_config, start_upstream

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def upstream_port() -> AsyncIterator[int]:
    """A real upstream that reads the whole body and reports its length."""
    async def echo_len(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())}")

    runner, port = await start_upstream(echo_len)
    yield port
    await runner.cleanup()


def _routes(up: int) -> list[dict]:
    limit = {"handler": "request_body", "max_size": 10}
    return [
        {"match": [{"path": ["/proxy"]}], "handle": [limit, {"handler": "reverse_proxy",
                                                             "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]},
        {"match": [{"path": ["/noread"]}], "handle": [limit, respond("fine")]},
        {"match": [{"path": ["/set"]}], "handle": [
            {"handler": "request_body", "set": "new body for {http.request.method}"},
            {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]},
    ]


async def test_limit_bites_only_when_the_body_is_read(serve, upstream_port):
    s = await serve(server_config(_routes(upstream_port)))
    status, _, body = await s.request("POST", "/proxy", data=b"x" * 10)
    assert (status, body) == (200, "got 10")
    status, _, _ = await s.request("POST", "/proxy", data=b"x" * 11)
    assert status == 413
    status, _, body = await s.request("POST", "/noread", data=b"x" * 1000)
    assert (status, body) == (200, "fine")


async def test_request_body_matches_caddy(caddy_bin, caddy_env, tmp_path, upstream_port):
    async with Pair(caddy_bin, tmp_path, caddy_env, json_config(_routes(upstream_port))) as pair:
        await assert_same(pair, [
            Req("POST", "/proxy", body=b"0123456789"), Req("POST", "/proxy", body=b"0123456789A"),
            Req("POST", "/noread", body=b"z" * 5000), Req("GET", "/proxy"),
            Req("POST", "/set", body=b"old"), Req("PUT", "/set"),
        ])
