"""End-to-end fixtures: a scripted backend WebSocket server, the notifier handler served by a
minimal aiohttp app (until the runtime core's server fixture exists), real WebSocket clients."""
from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest
from aiohttp import web

from caddy_py.http.request import Request
from caddy_py.modules.websocket_notifier.handler import WebsocketNotifier
from caddy_py.replacer import new_replacer

TIMEOUT = 5.0


class Backend:
    """A backend the test scripts: it records what the notifier sends and can publish."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[dict] = asyncio.Queue()
        self.conns: list[web.WebSocketResponse] = []
        self.connected = asyncio.Event()
        self.dial_headers: list[dict[str, str]] = []
        self.auto_verify = False
        self.autoping = True  # False: a backend that never answers the link's pings
        self.accepts: asyncio.Queue[int] = asyncio.Queue()  # one item per accepted link
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._ws)
        self.runner = web.AppRunner(app, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.conns):
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=self.autoping)
        await ws.prepare(request)
        self.accepts.put_nowait(1)
        self.dial_headers.append(dict(request.headers))
        self.conns.append(ws)
        self.connected.set()
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                assert msg.data.endswith("\n")
                doc = json.loads(msg.data)
                await self.received.put(doc)
                if self.auto_verify and doc.get("operation") == "subscribe":
                    await self.send({"operation": "verify", "subscription_id": doc["subscription_id"],
                                     "request_id": doc.get("request_id", ""), "accept": doc.get("channels", [])})
        self.conns.remove(ws)
        if not self.conns:
            self.connected.clear()
        return ws

    async def wait_connected(self) -> None:
        await asyncio.wait_for(self.connected.wait(), TIMEOUT)

    async def send(self, doc: Any) -> None:
        data = doc if isinstance(doc, str) else json.dumps(doc)
        await self.conns[-1].send_str(data)

    async def publish(self, channels: list[str], payload: Any) -> None:
        await self.send({"operation": "event", "channels": channels, "payload": payload})

    async def next(self, op: str | None = None) -> dict:
        while True:
            doc = await asyncio.wait_for(self.received.get(), TIMEOUT)
            if op is None or doc.get("operation") == op:
                return doc


class Server:
    """The notifier handler behind a catch-all aiohttp route."""

    def __init__(self, handler: WebsocketNotifier, runner: web.AppRunner, port: int) -> None:
        self.handler = handler
        self.runner = runner
        self.port = port

    @property
    def notifier(self) -> Any:
        return self.handler.notifier

    def url(self, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}/notify" + (f"?{query}" if query else "")

    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"


async def start_server(cfg: dict[str, Any]) -> Server:
    handler = WebsocketNotifier.from_json({"handler": "websocket_notifier", **cfg})
    await handler.provision(None)

    async def endpoint(raw: web.Request) -> web.StreamResponse:
        replacer = new_replacer()
        replacer.set("http.request.uri.path", raw.path)
        req = Request(raw, replacer)

        async def nxt(_: Request) -> web.StreamResponse:
            return web.Response(status=404)

        return await handler.serve(req, nxt)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", endpoint)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return Server(handler, runner, port)


@pytest.fixture
async def backend() -> AsyncIterator[Backend]:
    b = Backend()
    await b.start()
    yield b
    await b.stop()


@pytest.fixture
async def serve(backend: Backend) -> AsyncIterator[Callable[..., Any]]:
    servers: list[Server] = []

    async def make(**cfg: Any) -> Server:
        cfg.setdefault("upstream", backend.url)
        cfg.setdefault("recover_wait", 50_000_000)  # 50 ms between dials keeps tests quick
        s = await start_server(cfg)
        servers.append(s)
        await backend.wait_connected()
        return s

    yield make
    for s in servers:
        await s.handler.cleanup()
        await s.runner.cleanup()


class Client:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session: aiohttp.ClientSession) -> None:
        self.ws = ws
        self.session = session

    async def send(self, doc: Any) -> None:
        await self.ws.send_str(doc if isinstance(doc, str) else json.dumps(doc))

    async def recv(self) -> aiohttp.WSMessage:
        return await asyncio.wait_for(self.ws.receive(), TIMEOUT)

    async def recv_doc(self) -> dict:
        msg = await self.recv()
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        assert msg.data.endswith("\n")
        return json.loads(msg.data)

    async def close_code(self) -> int | None:
        """Read until the server closes; the close code it sent."""
        while True:
            msg = await self.recv()
            if msg.type == aiohttp.WSMsgType.CLOSE:
                return msg.data
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return self.ws.close_code
            if msg.type == aiohttp.WSMsgType.ERROR:
                return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    clients: list[Client] = []

    async def make(url: str, **kw: Any) -> Client:
        session = aiohttp.ClientSession()
        kw.setdefault("autoping", True)
        kw.setdefault("compress", 0)
        ws = await session.ws_connect(url, **kw)
        c = Client(ws, session)
        clients.append(c)
        return c

    yield make
    for c in clients:
        await c.close()
