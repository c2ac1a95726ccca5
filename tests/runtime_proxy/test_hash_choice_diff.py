"""Hash selection policies pick the same upstream as the real Caddy for the same key (xxHash64
rendezvous hashing over the dial address + key)."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from tests.runtime_core.diff import Pair

from .harness import start_upstream

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def named_upstreams():
    runners, ports = [], []
    for name in ("a", "b", "c", "d"):
        async def answer(request: web.Request, name: str = name) -> web.Response:
            return web.Response(text=name)

        runner, port = await start_upstream(handler=answer)
        runners.append(runner)
        ports.append(port)
    yield ports
    for runner in runners:
        await runner.cleanup()


def site(ports: list[int]) -> object:
    def make(port: int) -> str:
        ups = " ".join(f"127.0.0.1:{p}" for p in ports)
        return f"""{{
	admin off
}}
:{port} {{
	handle /h/* {{
		reverse_proxy {ups} {{
			lb_policy header X-Key
		}}
	}}
	handle /u/* {{
		reverse_proxy {ups} {{
			lb_policy uri_hash
		}}
	}}
	handle /q/* {{
		reverse_proxy {ups} {{
			lb_policy query k
		}}
	}}
}}
"""
    return make


async def picks(port: int, requests: list[tuple[str, dict[str, str]]]) -> list[str]:
    out = []
    async with aiohttp.ClientSession() as s:
        for path, headers in requests:
            async with s.get(f"http://127.0.0.1:{port}{path}", headers=headers) as r:
                assert r.status == 200, (path, r.status)
                out.append(await r.text())
    return out


async def test_hash_policies_choose_the_upstream_caddy_chooses(caddy_bin, caddy_env, tmp_path, named_upstreams):
    keys = [f"user-{i}" for i in range(24)]
    requests = ([("/h/x", {"X-Key": k}) for k in keys] + [(f"/u/{k}", {}) for k in keys]
                + [(f"/q/x?k={k}", {}) for k in keys])
    async with Pair(caddy_bin, tmp_path, caddy_env, site(named_upstreams)) as pair:
        want = await picks(pair.ports["caddy"], requests)
        got = await picks(pair.ports["py"], requests)
    assert got == want
    assert len(set(want)) > 1  # the keys spread: a constant answer would prove nothing
