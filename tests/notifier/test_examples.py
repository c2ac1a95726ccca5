"""The example backend behind the notifier: subscribe, clock-less publish, deauthorize."""
from __future__ import annotations

import aiohttp
from aiohttp import web

from caddy_py.examples.backend import make_app, verify_answer

from .conftest import start_server


def test_verify_answer_requires_credential() -> None:
    assert verify_answer({"subscription_id": "t", "request_id": "r", "credential": "x", "channels": ["a"]}) == {
        "operation": "verify", "subscription_id": "t", "request_id": "r", "accept": ["a"]}
    assert verify_answer({"subscription_id": "t", "channels": ["a"]})["reject"] == ["a"]


async def test_example_backend_end_to_end(connect) -> None:
    runner = web.AppRunner(make_app(with_clock=False), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    srv = await start_server({"upstream": f"ws://127.0.0.1:{port}/ws", "recover_wait": 50_000_000})
    try:
        c = await connect(srv.url())
        await c.send({"operation": "subscribe", "request_id": "1", "credential": "demo", "channels": ["news"]})
        assert (await c.recv_doc())["accept"] == ["news"]
        async with aiohttp.ClientSession() as s:
            async with s.post(f"http://127.0.0.1:{port}/publish", json={"channels": ["news"], "payload": {"x": 1}}) as r:
                assert r.status == 200
            doc = await c.recv_doc()
            assert doc["payload"] == {"x": 1} and doc["seq"] == 1
            async with s.post(f"http://127.0.0.1:{port}/deauthorize", json={"credential": "demo"}) as r:
                assert r.status == 200
            assert await c.recv_doc() == {"operation": "unsubscribed", "channels": ["news"]}
            async with s.post(f"http://127.0.0.1:{port}/publish", data=b"nope") as r:
                assert r.status == 400
    finally:
        await srv.handler.cleanup()
        await srv.runner.cleanup()
        await runner.cleanup()
