"""A test-only handler module: holds each request until the test opens the gate.

Registered as `http.handlers.test_gate` when this file is imported; `GATES[name]` is the
asyncio.Event a request waits on, `ARRIVED[name]` is set once a request is waiting.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from caddy_py.config.registry import lookup, register

GATES: dict[str, asyncio.Event] = {}
ARRIVED: dict[str, asyncio.Event] = {}


class TestGate:
    def __init__(self, name: str, body: str) -> None:
        self.name = name
        self.body = body

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "TestGate":
        return cls(cfg.get("name", "gate"), cfg.get("body", ""))

    async def serve(self, req: Any, next: Any) -> web.StreamResponse:
        ARRIVED[self.name].set()
        await GATES[self.name].wait()
        return web.Response(text=self.body)


if lookup("http.handlers.test_gate") is None:
    register("http.handlers.test_gate")(TestGate)


def reset(name: str) -> None:
    GATES[name] = asyncio.Event()
    ARRIVED[name] = asyncio.Event()


class TestWebSocket:
    """`http.handlers.test_ws`: a hijacking WebSocket echo that prefixes each reply with `tag`."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "TestWebSocket":
        return cls(cfg.get("tag", ""))

    async def serve(self, req: Any, next: Any) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(req.raw)
        req.hijack()
        async for msg in ws:
            await ws.send_str(f"{self.tag}:{msg.data}")
        return ws


if lookup("http.handlers.test_ws") is None:
    register("http.handlers.test_ws")(TestWebSocket)


class TestPlainWebSocket(TestWebSocket):
    """`http.handlers.test_ws_plain`: the same echo without calling req.hijack()."""

    async def serve(self, req: Any, next: Any) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(req.raw)
        async for msg in ws:
            await ws.send_str(f"{self.tag}:{msg.data}")
        return ws


if lookup("http.handlers.test_ws_plain") is None:
    register("http.handlers.test_ws_plain")(TestPlainWebSocket)
