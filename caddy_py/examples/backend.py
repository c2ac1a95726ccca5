"""Example notifier backend (the upstream a `websocket_notifier` dials).

It accepts every subscribe whose credential is non-empty, publishes a clock event on channel
`time` every second, and offers two HTTP endpoints for trying things by hand:

    POST /publish      {"channels": ["news"], "payload": {...}}   -> an event
    POST /deauthorize  {"credential": "..."}                        -> a deauthorize

Run: python -m caddy_py.examples.backend [--listen 127.0.0.1:6081]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

from aiohttp import WSMsgType, web

log = logging.getLogger("examples.backend")

LINKS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("links", set)


def verify_answer(req: dict[str, Any]) -> dict[str, Any]:
    """Accept the requested channels when a credential is given, reject them otherwise."""
    answer = {"operation": "verify", "subscription_id": req.get("subscription_id", ""),
              "request_id": req.get("request_id", "")}
    channels = req.get("channels") or []
    if req.get("credential"):
        answer["accept"] = channels
    else:
        answer["reject"] = channels
        answer["message"] = "a credential is required"
    return answer


async def broadcast(app: web.Application, doc: dict[str, Any]) -> int:
    text = json.dumps(doc)
    links = list(app[LINKS])
    for ws in links:
        await ws.send_str(text)
    return len(links)


async def notifier_link(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(heartbeat=None)
    await ws.prepare(request)
    request.app[LINKS].add(ws)
    log.info("notifier connected from %s", request.remote)
    try:
        async for msg in ws:
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                continue
            try:
                req = json.loads(msg.data)
            except ValueError:
                log.warning("malformed message from notifier")
                continue
            op = req.get("operation")
            if op == "subscribe":
                await ws.send_str(json.dumps(verify_answer(req)))
                log.info("subscribe %s %s", req.get("channels"), req.get("metadata"))
            elif op in ("resume", "unsubscribe"):
                log.info("%s %s", op, req.get("channels"))
    finally:
        request.app[LINKS].discard(ws)
        log.info("notifier disconnected")
    return ws


async def publish(request: web.Request) -> web.Response:
    try:
        body = await request.json()
        channels = [str(c) for c in body["channels"]]
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": 'expected {"channels": [...], "payload": ...}'}, status=400)
    doc: dict[str, Any] = {"operation": "event", "channels": channels}
    if "payload" in body:
        doc["payload"] = body["payload"]
    sent = await broadcast(request.app, doc)
    return web.json_response({"links": sent})


async def deauthorize(request: web.Request) -> web.Response:
    try:
        credential = str((await request.json())["credential"])
    except (ValueError, KeyError, TypeError):
        return web.json_response({"error": 'expected {"credential": "..."}'}, status=400)
    sent = await broadcast(request.app, {"operation": "deauthorize", "credential": credential})
    return web.json_response({"links": sent})


async def clock(app: web.Application) -> None:
    while True:
        await asyncio.sleep(1)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        await broadcast(app, {"operation": "event", "channels": ["time"], "payload": {"now": now}})


async def _start_clock(app: web.Application) -> Any:
    task = asyncio.get_running_loop().create_task(clock(app))
    yield
    task.cancel()


def make_app(with_clock: bool = True) -> web.Application:
    app = web.Application()
    app[LINKS] = set()
    app.router.add_get("/ws", notifier_link)
    app.router.add_post("/publish", publish)
    app.router.add_post("/deauthorize", deauthorize)
    if with_clock:
        app.cleanup_ctx.append(_start_clock)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:6081", help="host:port (default 127.0.0.1:6081)")
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    web.run_app(make_app(), host=host or "127.0.0.1", port=int(port), print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
