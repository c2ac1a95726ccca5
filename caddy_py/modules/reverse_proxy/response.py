"""What a transport's round trip produces: status, headers and a body to stream."""
from __future__ import annotations

from http import HTTPStatus
from typing import Any, AsyncIterator

from aiohttp import web
from multidict import CIMultiDict

from .upgrade import RawResponse


class UpstreamResponse:
    """What the round trip produced: status, headers, and a body to stream."""

    def __init__(self, status: int, reason: str, version: str, headers: CIMultiDict[str],
                 body: AsyncIterator[bytes], close: Any, raw: RawResponse | None = None) -> None:
        self.status, self.reason, self.version, self.headers = status, reason, version, headers
        self.body, self._close, self.raw = body, close, raw
        self.finalized = False
        self.start = 0.0

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def write_informational(client: web.BaseRequest, status: int, reason: str, headers: Any) -> None:
    """Pass an upstream's informational response (103 Early Hints, ...) on to the client, as
    Caddy does: the upstream's headers and the `Server: Caddy` already set on the response,
    in Go's order (sorted by name) and with Go's status text. HTTP/1.0 clients get none."""
    tr = client.transport
    if tr is None or tr.is_closing() or client.version < (1, 1):
        return
    fields = [(_canonical(k), v) for k, v in headers.items()]
    fields.append(("Server", "Caddy"))
    fields.sort(key=lambda kv: kv[0])
    try:
        text = HTTPStatus(status).phrase
    except ValueError:
        text = f"status code {status}"
    lines = [f"HTTP/1.1 {status} {text}\r\n"] + [f"{k}: {v}\r\n" for k, v in fields]
    tr.write(("".join(lines) + "\r\n").encode("latin-1"))


def _canonical(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))
