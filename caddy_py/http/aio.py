"""aiohttp plumbing: the request class whose prepare hook runs `req.on_prepare`, and a protocol
that answers malformed requests the way Go's net/http does (400, 431) instead of aiohttp's text.

Caddy's server reads at most `max_header_bytes` (default 16 KiB) + Go's 4096 bytes of slack for
the request line and headers; more gets `431 Request Header Fields Too Large`, other
unparsable requests `400 Bad Request`, both written the way Go writes them (the message in the
status line and the body, `Connection: close`, no `Server` header).
"""
from __future__ import annotations

import asyncio
import re
import socket
import struct
from typing import Any

from aiohttp import web
from aiohttp.http import SERVER_SOFTWARE, HttpVersion11
from aiohttp.http_exceptions import BadHttpMethod, BadStatusLine, HttpProcessingError, LineTooLong
from aiohttp.http_parser import HttpRequestParser
from aiohttp.streams import EMPTY_PAYLOAD, StreamReader
from aiohttp.web_protocol import MAX_MSG_QUEUE_SIZE, RequestHandler, RequestPayloadError, _ErrInfo

from caddy_py.logs.access import track_body_bytes

DEFAULT_MAX_HEADER_BYTES = 16 * 1024
GO_HEADER_SLACK = 4096


class CaddyBaseRequest(web.BaseRequest):
    ATTRS = web.BaseRequest.ATTRS | frozenset(["caddy"])
    caddy: Any = None  # our caddy_py.http.request.Request, once created

    async def _prepare_hook(self, response: web.StreamResponse) -> None:
        req = self.caddy
        headers = response.headers
        if self._protocol.caddy_bad_body is self._payload and self._payload._cursor == 0:
            # malformed chunked body nobody read: Go fails discarding it and closes after this
            response.force_close()
            if self.version == HttpVersion11:
                headers["Connection"] = "close"
        if req is None:
            # answered before reaching Caddy's handler (Go's own 400/431, OPTIONS *)
            if headers.get("Server") == SERVER_SOFTWARE:
                del headers["Server"]
            return
        req.response = response
        server = req.server
        if server is not None and server.log_access is not None:
            track_body_bytes(req)  # exact sizes for streamed bodies in the access log
        # a proxied response keeps the upstream's Server header (`__no_server_header__`)
        if not req.state.get("__no_server_header__") and headers.get("Server", SERVER_SOFTWARE) == SERVER_SOFTWARE:
            headers["Server"] = "Caddy"
        for cb in req.on_prepare:
            res = cb(response)
            if res is not None:
                await res
        status = response.status
        if status == 304 or status == 204 or status < 200:
            # Go's net/http drops these from bodiless answers whatever the handler set
            if status == 304:
                headers.popall("Content-Type", None)
            headers.popall("Content-Length", None)
            headers.popall("Transfer-Encoding", None)


class GoErrorResponse(web.StreamResponse):
    """Go's hand-written error answer: `HTTP/1.1 <status and message>` as the status line and
    the body, Content-Type and `Connection: close` only, then the connection closes."""

    def __init__(self, public: str, body: str | None = None, reset: bool = False) -> None:
        super().__init__(status=int(public[:3]))
        self.public = public
        self.body = public if body is None else body
        self.reset = reset
        self.force_close()

    async def prepare(self, request: web.BaseRequest) -> None:  # type: ignore[override]
        tr = request.transport
        if tr is not None and not tr.is_closing():
            tr.write(("HTTP/1.1 " + self.public + "\r\nContent-Type: text/plain; charset=utf-8"
                      "\r\nConnection: close\r\n\r\n" + self.body).encode())
            if self.reset:
                _close_with_reset(tr)
            # like Go's closeWriteAndWait: half-close, let the client's unread upload drain for
            # a moment, then close (closing at once would reset the connection and the client
            # could lose the answer)
            elif tr.can_write_eof():
                tr.write_eof()
                asyncio.get_running_loop().call_later(0.5, tr.close)
            else:
                tr.close()
        return None

    async def write_eof(self, data: bytes = b"") -> None:
        return None


def _close_with_reset(tr: asyncio.BaseTransport) -> None:
    """Close as Go does with bytes it never read still queued: the kernel answers with a reset."""
    sock = tr.get_extra_info("socket")
    if sock is not None and tr.get_write_buffer_size() == 0:  # type: ignore[attr-defined]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tr.close()


class GoRequestError(HttpProcessingError):
    """A request Go's server refuses where llhttp is lenient, answered as Go answers it."""

    def __init__(self, public: str, reset: bool = False) -> None:
        super().__init__(code=int(public[:3]), message=public)
        self.public = public
        self.reset = reset


# Caddy's server (Go, unencrypted HTTP/2 enabled) first peeks this many bytes of a new
# connection, looking for the HTTP/2 preface ("PRI * HTTP/2.0"), before parsing HTTP/1
GO_H2C_PEEK = 14


class _BrokenChunkedBody(StreamReader):
    """A request body cut by malformed chunked framing: the bytes received before the bad
    framing are read as usual, then the read fails (Go's chunked reader does the same)."""

    __slots__ = ()
    error = "malformed chunked encoding"

    def _read_nowait(self, n: int) -> bytes:
        if not self._buffer:
            raise RequestPayloadError(self.error)
        return super()._read_nowait(n)


class _TruncatedBody(_BrokenChunkedBody):
    """A request body the client ended (half-close) before all of it came."""

    __slots__ = ()
    error = "unexpected EOF"


def _go_resets(data: bytes, line_len: int) -> bool:
    """Whether Go, answering a new connection's bad request line, closes with bytes it never
    read (a reset): it peeked GO_H2C_PEEK bytes and the line ended within them."""
    return 0 < line_len <= GO_H2C_PEEK < len(data)


def _receiving(payload: Any) -> bool:
    """A request body still being received (framing errors now are errors in that body)."""
    return (payload is not None and payload is not EMPTY_PAYLOAD and not payload.is_eof()
            and payload.exception() is None)


def go_error_response(status: int, text: str, body: str | None = None) -> web.StreamResponse:
    return GoErrorResponse(text, body)


# Go's httpguts.ValidHostHeader: the bytes a Host header may contain
_HOST_BYTES = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$%&'()*+,-.:;=[]_~")
_GO_VERSION = re.compile(r"HTTP/\d\.\d'")


def valid_host_header(host: str) -> bool:
    return _HOST_BYTES.issuperset(host)  # one C-level pass (a generator costs 3x per request)


def header_block_size(raw: web.BaseRequest) -> int:
    """Bytes of the request line and header block as sent (Go's limit counts these)."""
    n = len(raw.method) + len(raw.raw_path) + 13
    for k, v in raw.raw_headers:
        n += len(k) + len(v) + 4
    return n + 2


class CaddyRequestHandler(RequestHandler):
    """One connection. `caddy_hijacked` marks a connection taken over by a WebSocket."""

    caddy_hijacked = False
    caddy_remote: str | None = None  # the peer as Go writes RemoteAddr, set on first request
    caddy_payload: StreamReader | None = None  # the body of the request handed out last
    caddy_bad_body: StreamReader | None = None  # a body whose chunked framing was malformed

    caddy_first_bytes = b""  # a new connection's bytes while its first request is incomplete

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        msgs = self._messages
        if msgs:
            last = msgs[-1][0]
            if last.__class__ is _ErrInfo or last.version[0] == 0:
                self._go_request_errors(data)
        elif self._request_count == 0 and not self._close:
            self._first_request_line(data)

    def eof_received(self) -> bool | None:
        """The client half-closed. Go keeps answering: a request being received or handled
        still gets its response, a body cut short fails its read (a proxy answers 502), and
        an incomplete request head gets Go's 400; then the connection closes."""
        if self._force_close or self._close or self.caddy_hijacked or self._upgraded:
            return None
        msgs = self._messages
        live = msgs[-1][1] if msgs else self.caddy_payload
        if _receiving(live):
            live.feed_eof()
            live.__class__ = _TruncatedBody
            self._close = True
            return True
        try:
            partial = self._parser is not None and self._parser.feed_eof() is not None
        except HttpProcessingError:
            partial = False
        if partial:
            self._queue_go_400(False)
            return True
        # a request is queued or being handled (or between the two: aiohttp's loop is not
        # parked on its wait for the next one); a bare connect-and-close has nothing to answer
        if msgs or self._request_in_progress or (self._request_count > 0 and self._waiter is None):
            self._close = True
            return True
        return None

    def _queue_go_400(self, reset: bool) -> None:
        self._request_count += 1
        self._close = True  # nothing after this line is parsed
        self._messages.append(_go_error(GoRequestError("400 Bad Request", reset)))
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _first_request_line(self, data: bytes) -> None:
        """A new connection whose first request is still incomplete: a request line without
        an HTTP version is Go's 400 as soon as Go has peeked its first bytes, where llhttp
        would wait for a header block (HTTP/0.9)."""
        head = self.caddy_first_bytes = self.caddy_first_bytes + data
        end = head.find(b"\n")
        if end < 0 or len(head) < GO_H2C_PEEK or head[:end].rstrip(b"\r").count(b" ") >= 2:
            return
        self._queue_go_400(_go_resets(head, end + 1))

    def _go_request_errors(self, data: bytes) -> None:
        """Where llhttp and Go's server part ways on what was just parsed (the last message):

        - a request line without an HTTP version: llhttp reads HTTP/0.9, Go answers 400
          (and a literal `HTTP/0.9` with 505, as every version other than 1.x);
        - malformed chunked framing: llhttp fails the whole connection (400) even when the
          request head was fine; Go hands the request to the handler and the body read fails
          there (a proxied request gets 502), so the request goes out with a failing body."""
        msgs = self._messages
        last = msgs[-1][0]
        if last.__class__ is not _ErrInfo:  # an HTTP/0.9 request
            msgs.pop()
            line = f"{last.method} {last.path}\r\n".encode()
            if line not in data:
                msgs.append(_go_error(GoRequestError("505 HTTP Version Not Supported: unsupported protocol version")))
                return
            reset = self._request_count == 1 and data.startswith(line) and _go_resets(data, len(line))
            msgs.append(_go_error(GoRequestError("400 Bad Request", reset)))
            return
        if isinstance(last.exc, GoRequestError):
            return
        if (self._request_count == 1 and isinstance(last.exc, (BadHttpMethod, BadStatusLine))
                and not _GO_VERSION.search(str(last.exc.message)) and _go_resets(data, data.find(b"\n") + 1)):
            msgs[-1] = _go_error(GoRequestError("400 Bad Request", True))  # a short bad request line
            return
        if self.caddy_bad_body is not None:
            msgs.pop()  # the parser stays broken after a bad body; Go's follow-up is queued
            return
        live = msgs[-2][1] if len(msgs) > 1 else self.caddy_payload
        if _receiving(live):
            msgs.pop()
            self._fail_body(live)
            return
        recovered = self._reparse(data)
        if recovered is None:
            return  # the request head itself is malformed: Go answers 400 as well
        msgs.pop()
        msgs.extend(recovered)
        self._request_count += len(recovered) - 1
        self._fail_body(recovered[-1][1])

    def _reparse(self, data: bytes) -> list[Any] | None:
        """The messages of `data` up to one whose chunked body breaks, parsed again with a
        fresh parser fed head by head (llhttp drops them when its parse fails)."""
        parser = HttpRequestParser(
            self, self._loop, self._read_bufsize, max_line_size=self.max_line_size,
            max_field_size=self.max_field_size, max_headers=self.max_headers,
            payload_exception=RequestPayloadError, max_msg_queue_size=MAX_MSG_QUEUE_SIZE,
            auto_decompress=bool(getattr(self._manager, "_kwargs", {}).get("auto_decompress", True)))
        got: list[Any] = []
        start = 0
        while start < len(data):
            end = data.find(b"\r\n\r\n", start)
            end = len(data) if end < 0 else end + 4
            try:
                msgs, _, _ = parser.feed_data(data[start:end])
            except HttpProcessingError:
                return got if got and _receiving(got[-1][1]) else None
            got.extend(msgs)
            start = end
        return None

    def _fail_body(self, payload: StreamReader) -> None:
        """The body read fails after the bytes before the bad framing. Go then parses what
        follows as the next request (garbage: 400), unless the failed body was never read,
        in which case it closes after the response (see CaddyBaseRequest._prepare_hook)."""
        payload.feed_eof()
        payload.__class__ = _BrokenChunkedBody
        self.caddy_bad_body = payload
        self._lingering_time = 0.0
        self._messages.append(_go_error(GoRequestError("400 Bad Request")))

    async def graceful_close(self, grace: float | None) -> None:
        """Go's Server.Shutdown for one connection: an idle keep-alive connection closes now;
        a busy one closes after its current response; a brand-new one (nothing received yet)
        may still send its first request, which is answered (with the server marked
        shutting down, that response closes the connection). After `grace` seconds, force."""
        if self.caddy_hijacked or self._payload_parser is not None:
            return  # an upgraded connection (WebSocket): its handler owns its lifetime
        # idle = parked on aiohttp's wait for the next request; a request already popped from
        # the queue but not yet started (its task is scheduled) is not idle
        waiting = self._waiter is not None and not self._waiter.done()
        if self._request_count > 0 and waiting and not self._request_in_progress and not self._messages:
            self.force_close()
            if self.transport is not None:
                self.transport.close()
            return
        task = self._task_handler
        if task is None or task.done():
            return
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            self.force_close()
            task.cancel()

    def handle_error(self, request: web.BaseRequest, status: int = 500,
                     exc: BaseException | None = None, message: str | None = None) -> web.StreamResponse:
        if isinstance(exc, GoRequestError):
            return GoErrorResponse(exc.public, reset=exc.reset)
        if isinstance(exc, LineTooLong):
            return go_error_response(431, "431 Request Header Fields Too Large")
        text = str(getattr(exc, "message", "") or "")
        if isinstance(exc, BadStatusLine) and "Invalid HTTP version" in text and _GO_VERSION.search(text):
            # a well-formed version other than 1.x: Go parses it, then refuses it
            return go_error_response(505, "505 HTTP Version Not Supported: unsupported protocol version")
        if "invalid `Transfer-Encoding`" in text:
            return go_error_response(501, "501 Not Implemented", "Unsupported transfer encoding")
        if status == 400 or isinstance(exc, BadHttpMethod):
            if "Host" in text and "missing" in text.lower():
                return go_error_response(400, "400 Bad Request: missing required Host header")
            return go_error_response(400, "400 Bad Request")
        return super().handle_error(request, status, exc, message)


def _go_error(exc: GoRequestError) -> tuple[_ErrInfo, Any]:
    return _ErrInfo(status=exc.code, exc=exc, message=exc.public), EMPTY_PAYLOAD


class AioServer(web.Server):
    """aiohttp's low-level server building our request and protocol classes."""

    def __init__(self, handler: Any, max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES, **kwargs: Any) -> None:
        self.header_limit = max_header_bytes + GO_HEADER_SLACK
        kwargs.setdefault("max_line_size", self.header_limit)
        kwargs.setdefault("max_field_size", self.header_limit)
        kwargs.setdefault("max_headers", 10000)
        kwargs.setdefault("access_log", None)  # access logs are Caddy's (caddy_py.logs.access)
        super().__init__(handler, request_factory=self._make_caddy_request, **kwargs)

    def _make_caddy_request(self, message: Any, payload: Any, protocol: Any, writer: Any, task: Any) -> web.BaseRequest:
        protocol.caddy_payload = payload
        return CaddyBaseRequest(message, payload, protocol, writer, task, self._loop)

    def __call__(self) -> RequestHandler:
        return CaddyRequestHandler(self, loop=self._loop, **self._kwargs)
