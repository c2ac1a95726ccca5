"""A stand-in for aiohttp's payload writer that decides, like Caddy's encode responseWriter,
whether to compress once it sees the final headers and the first body bytes, and compresses
streamed bodies chunk by chunk. Installed per request as `raw._payload_writer`, so every
response written for that request (streamed or not) goes through it; responses that are not
compressed pass through unchanged.
"""
from __future__ import annotations

from typing import Any, Callable

from multidict import CIMultiDict

from .encoders import Compressor

_EMPTY_BODY_STATUSES = (204, 304)
GO_BUFFER_BEFORE_CHUNKING = 2048  # net/http sets Content-Length when the body fits its buffer


def has_vary(h: CIMultiDict[str], value: str) -> bool:
    return any(v.strip().lower() == value.lower() for line in h.getall("Vary", []) for v in line.split(","))


def is_sse(content_type: str) -> bool:
    ct = content_type.lower()
    if not ct.startswith("text/event-stream"):
        return False
    rest = ct[len("text/event-stream"):].lstrip(" \t")
    return rest == "" or rest.startswith(";")


class EncodingWriter:
    def __init__(self, inner: Any, name: str, new_compressor: Callable[[], Compressor],
                 min_length: int, matches: Callable[[int, CIMultiDict[str]], bool],
                 head: bool, http11: bool = True) -> None:
        self._inner = inner
        self._http11 = http11
        self._name = name
        self._new = new_compressor
        self._min = min_length
        self._matches = matches
        self._head = head
        self.disabled = False
        self.length: int | None = None
        self.chunked = False
        self._status_line = ""
        self._status = 0
        self._headers: CIMultiDict[str] | None = None
        self._decided = False
        self._comp: Compressor | None = None

    def __getattr__(self, name: str) -> Any:  # everything else is the real writer's
        return getattr(self._inner, name)

    # -- aiohttp's payload writer surface ---------------------------------------------------
    def enable_chunking(self) -> None:
        self.chunked = True

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        self._status_line, self._headers = status_line, headers
        try:
            self._status = int(status_line.split(" ", 2)[1])
        except (IndexError, ValueError):
            self._status = 0
        if self._status == 206:
            self.disabled = True
        if self._status == 304 and not has_vary(headers, "Accept-Encoding"):
            headers.add("Vary", "Accept-Encoding")
        if 100 <= self._status < 200:
            await self._emit_headers(encode=False)
        elif is_sse(headers.get("Content-Type", "")):
            await self._emit_headers(encode=self._should_encode())

    def send_headers(self) -> None:
        if self._decided:
            self._inner.send_headers()

    async def write(self, chunk: Any, *, drain: bool = True, LIMIT: int = 0x10000) -> None:
        data = bytes(chunk)
        if not data:
            return
        if not self._decided:
            await self._emit_headers(encode=self._big_enough(len(data)) and self._should_encode())
        if self._comp is not None:
            data = self._comp.compress(data)
            if not data:
                return
        await self._inner.write(data, drain=drain, LIMIT=LIMIT)

    async def write_eof(self, chunk: bytes = b"") -> None:
        data = bytes(chunk)
        if not self._decided:
            encode = self._big_enough(len(data)) and self._should_encode()
            if encode and data and not self._head:
                # the whole body is here: like Go's server, a short result gets a Content-Length
                comp = self._new()
                out = comp.compress(data) + comp.finish()
                if len(out) <= GO_BUFFER_BEFORE_CHUNKING:
                    await self._emit_headers(encode=True, length=len(out))
                    self._comp = None
                    await self._inner.write_eof(out)
                    return
            await self._emit_headers(encode=encode)
        if self._comp is not None:
            data = (self._comp.compress(data) if data else b"") + self._comp.finish()
            self._comp = None
        await self._inner.write_eof(data)

    def set_eof(self) -> None:
        self._inner.set_eof()

    # -- the decision -------------------------------------------------------------------------
    def _big_enough(self, first_write: int) -> bool:
        if self._min <= 0:
            return False
        if first_write > self._min:
            return True
        assert self._headers is not None
        try:
            return int(self._headers.get("Content-Length", "")) > self._min
        except ValueError:
            return False

    def _should_encode(self) -> bool:
        h = self._headers
        if self.disabled or h is None:
            return False
        if h.get("Content-Encoding"):
            return False
        if "no-transform" in h.get("Cache-Control", ""):
            return False
        return self._matches(self._status, h)

    async def _emit_headers(self, encode: bool, length: int | None = None) -> None:
        self._decided = True
        h = self._headers
        assert h is not None
        inner = self._inner
        if encode:
            self._comp = self._new()
            h.popall("Content-Length", None)
            h["Content-Encoding"] = self._name
            if not has_vary(h, "Accept-Encoding"):
                h.add("Vary", "Accept-Encoding")
            h.popall("Accept-Ranges", None)
            etag = h.get("ETag", "")
            if etag and not etag.startswith("W/"):
                h["ETag"] = etag.removesuffix('"') + f'-{self._name}"'
            inner.length = length
            if length is not None:
                h["Content-Length"] = str(length)
            elif self._head or self._status in _EMPTY_BODY_STATUSES:
                pass
            elif self._http11:
                inner.enable_chunking()
                h["Transfer-Encoding"] = "chunked"
            else:
                h["Connection"] = "close"  # HTTP/1.0: the end of the body is the end of the connection
                h.popall("Keep-Alive", None)
            if self._head:
                # HEAD: headers as if encoded, no body; Go's server counts the encoder's
                # empty-stream bytes it discards into a Content-Length
                self._comp = None
                empty = len(self._new().finish())
                inner.length = None
                h["Content-Length"] = str(empty)
        else:
            inner.length = self.length
            if self.chunked:
                inner.enable_chunking()
        await inner.write_headers(self._status_line, h)
        inner.send_headers()
