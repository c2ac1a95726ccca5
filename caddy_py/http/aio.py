"""aiohttp plumbing: the request class whose prepare hook runs `req.on_prepare`, and a protocol
that answers malformed requests the way Go's net/http does (400, 431) instead of aiohttp's text.

Go's defaults: header lines up to 1 MiB in total (`MaxHeaderBytes`); an oversized header block
gets `431 Request Header Fields Too Large`, other unparsable requests `400 Bad Request`, both
with `Connection: close` and no `Server` header (they never reach Caddy's handler).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE
from aiohttp.http_exceptions import BadHttpMethod, LineTooLong
from aiohttp.web_protocol import RequestHandler

MAX_HEADER_BYTES = 1 << 20


class CaddyBaseRequest(web.BaseRequest):
    ATTRS = web.BaseRequest.ATTRS | frozenset(["caddy"])
    caddy: Any = None  # our caddy_py.http.request.Request, once created

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        req = self.caddy
        headers = response.headers
        if req is None:
            # answered before reaching Caddy's handler (Go's own 400/431, OPTIONS *)
            if headers.get("Server") == SERVER_SOFTWARE:
                del headers["Server"]
            return
        req.response = response
        if headers.get("Server", SERVER_SOFTWARE) == SERVER_SOFTWARE:
            headers["Server"] = "Caddy"
        for cb in req.on_prepare:
            res = cb(response)
            if res is not None:
                await res


def go_error_response(status: int, text: str) -> web.Response:
    resp = web.Response(status=status, text=text, content_type="text/plain", charset="utf-8",
                        headers={"Connection": "close"})
    resp.force_close()
    return resp


class CaddyRequestHandler(RequestHandler):
    """One connection. `caddy_hijacked` marks a connection taken over by a WebSocket."""

    caddy_hijacked = False

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
        if isinstance(exc, LineTooLong):
            return go_error_response(431, "431 Request Header Fields Too Large")
        if status == 400 or isinstance(exc, BadHttpMethod):
            return go_error_response(400, "400 Bad Request")
        return super().handle_error(request, status, exc, message)


class AioServer(web.Server):
    """aiohttp's low-level server building our request and protocol classes."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_line_size", MAX_HEADER_BYTES)
        kwargs.setdefault("max_field_size", MAX_HEADER_BYTES)
        kwargs.setdefault("max_headers", 10000)
        kwargs.setdefault("access_log", None)  # access logs are Caddy's (caddy_py.logs.access)
        super().__init__(handler, request_factory=self._make_caddy_request, **kwargs)

    def _make_caddy_request(self, message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
        return CaddyBaseRequest(message, payload, protocol, writer, task, self._loop)

    def __call__(self) -> RequestHandler:
        return CaddyRequestHandler(self, loop=self._loop, **self._kwargs)
