"""Helpers for driving the sans-I/O hub in tests: deterministic tokens, decoded actions."""
from __future__ import annotations

import itertools
import json
from typing import Any

from caddy_py.modules.websocket_notifier.hub import Close, Fanout, Hub, HubConfig, Send, ToBackend


class Driver:
    def __init__(self, up: bool = True, **cfg: Any) -> None:
        counter = itertools.count(1)
        self.hub = Hub(HubConfig(**cfg), token_factory=lambda: f"T{next(counter)}")
        if up:
            self.hub.upstream_up()
            self.hub.take()

    # inputs
    def connect(self, conn: str, metadata: dict[str, str] | None = None) -> None:
        assert self.hub.connect(conn, metadata)

    def sub(self, conn: str, doc: Any) -> list:
        data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.hub.subscriber_message(conn, data)
        return self.take()

    def backend(self, doc: Any) -> list:
        data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.hub.backend_message(data)
        return self.take()

    def tick(self, now: float) -> list:
        self.hub.tick(now)
        return self.take()

    def take(self) -> list:
        return self.hub.take()

    # a subscribe accepted by the backend, returning the subscriber's token
    def subscribe_ok(self, conn: str, channels: list[str], rid: str = "r", cred: str = "c") -> str:
        out = self.sub(conn, {"operation": "subscribe", "request_id": rid, "credential": cred,
                              "channels": channels})
        token = backend_docs(out)[0]["subscription_id"]
        out = self.backend({"operation": "verify", "subscription_id": token, "request_id": rid,
                            "accept": channels})
        assert docs_to(out, conn)[0]["operation"] == "verify"
        return token

    def event(self, channels: list[str], payload: Any = 1) -> list:
        return self.backend({"operation": "event", "channels": channels, "payload": payload})


def doc(data: bytes) -> dict:
    assert data.endswith(b"\n")
    return json.loads(data)


def backend_docs(actions: list) -> list[dict]:
    return [doc(a.data) for a in actions if isinstance(a, ToBackend)]


def docs_to(actions: list, conn: str) -> list[dict]:
    out = []
    for a in actions:
        if isinstance(a, Send) and a.conn == conn:
            out.append(doc(a.data))
        elif isinstance(a, Fanout) and conn in a.conns:
            out.append(doc(a.data))
    return out


def closes(actions: list) -> list[tuple[str, int]]:
    return [(a.conn, a.code) for a in actions if isinstance(a, Close)]
