"""The scripted notifier backend: plain aiohttp, no caddy-py code.

`/ws` is what caddy-py's websocket_notifier dials: every `subscribe` is accepted at once.
Control endpoints (used by run.py): `GET /status`, `POST /burst?n=E` (E events as fast as the
socket takes them), `POST /paced?rate=R&n=E` (E events, one every 1/R s). Each event's payload
carries its send time (`time.time_ns()`, the clock every process on the machine shares) and is
padded so the subscriber's event document is EVENT_SIZE bytes.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time

from aiohttp import WSMsgType, web

CHANNEL = "bench"
EVENT_SIZE = 200  # bytes of the subscriber's JSON document, trailing newline included
# what the notifier writes around our payload: {"operation":"event","channels":["bench"],"payload":P,"seq":N}\n
_WRAP = len('{"operation":"event","channels":["bench"],"payload":,"seq":}\n')


class Backend:
    def __init__(self) -> None:
        self.ws: web.WebSocketResponse | None = None
        self.subscribes = 0
        self.links = 0
        self.seq = 0  # mirrors the hub's seq (one per event) so the padding keeps sizes exact

    def event(self, kind: str) -> str:
        self.seq += 1
        head = f'{{"t":{time.time_ns()},"k":"{kind}","p":"'
        pad = EVENT_SIZE - _WRAP - len(str(self.seq)) - len(head) - 2
        payload = head + "x" * max(0, pad) + '"}'
        return json.dumps({"operation": "event", "channels": [CHANNEL]}, separators=(",", ":"))[:-1] + \
            f',"payload":{payload}}}'

    async def upstream(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        self.ws = ws
        self.links += 1
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            m = json.loads(msg.data)
            if m.get("operation") == "subscribe":
                self.subscribes += 1
                await ws.send_str(json.dumps({
                    "operation": "verify", "subscription_id": m.get("subscription_id", ""),
                    "request_id": m.get("request_id", ""), "accept": m.get("channels") or []}))
        if self.ws is ws:
            self.ws = None
        return ws

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response({"connected": self.ws is not None, "links": self.links,
                                  "subscribes": self.subscribes, "seq": self.seq})

    async def burst(self, request: web.Request) -> web.Response:
        n = int(request.query["n"])
        ws = self.ws
        if ws is None:
            raise web.HTTPServiceUnavailable()
        first = time.time_ns()
        for _ in range(n):
            await ws.send_str(self.event("b"))
        return web.json_response({"first_ns": first, "last_ns": time.time_ns(), "n": n})

    async def paced(self, request: web.Request) -> web.Response:
        n, rate = int(request.query["n"]), float(request.query["rate"])
        ws = self.ws
        if ws is None:
            raise web.HTTPServiceUnavailable()
        loop = asyncio.get_running_loop()
        start = loop.time()
        first = time.time_ns()
        for i in range(n):
            delay = start + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)  # pacing the publisher, not waiting for a result
            await ws.send_str(self.event("p"))
        return web.json_response({"first_ns": first, "last_ns": time.time_ns(), "n": n})


def main() -> None:
    port = int(sys.argv[1])
    b = Backend()
    app = web.Application()
    app.router.add_get("/ws", b.upstream)
    app.router.add_get("/status", b.status)
    app.router.add_post("/burst", b.burst)
    app.router.add_post("/paced", b.paced)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
