"""Holding back a response for intercept (the part of Caddy's ResponseRecorder it uses).

While the rest of the chain runs, `req.on_prepare` is a fresh list, so only the callbacks of
inner handlers run when a streamed response is prepared; a last callback then asks intercept
whether to take the response. If not, the outer callbacks run right there (inner ones before
outer ones, as Go's nested writers apply) and the response streams through unchanged. If it
does, the payload writer stand-in keeps headers and body instead of sending them.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from aiohttp import web
from multidict import CIMultiDict

from caddy_py.http.request import Request
from caddy_py.modules.headers.handler import STATE_KEY as HEADERS_STATE

Chooser = Callable[[int, CIMultiDict[str]], "int | None"]


class Held:
    """A response intercept took: which handler took it, and what it was."""

    __slots__ = ("index", "status", "headers", "seen", "body")

    def __init__(self, index: int, status: int, headers: CIMultiDict[str], seen: CIMultiDict[str],
                 body: bytes) -> None:
        self.index, self.status, self.headers, self.body = index, status, headers, body
        self.seen = seen  # the headers as Caddy's matcher sees them (see Capture.view)


class _InnerCallbacks(list):  # type: ignore[type-arg]
    """The prepare callbacks added while the chain runs; iterating ends with the decision."""

    def __init__(self, decide: Callable[[web.StreamResponse], Any]) -> None:
        super().__init__()
        self._decide = decide
        self.ran = False  # the response of the chain was prepared (the decision was made)

    def __iter__(self) -> Iterator[Any]:
        yield from list.__iter__(self)
        yield self._decide


class _HoldingWriter:
    """aiohttp payload writer stand-in: passes everything on, or keeps it once told to hold."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.hold = False
        self.length: int | None = None
        self.chunked = False
        self.headers: CIMultiDict[str] | None = None
        self.body = bytearray()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def enable_chunking(self) -> None:
        self.chunked = True

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        if self.hold:
            self.headers = CIMultiDict(headers)
            return
        self._inner.length = self.length
        if self.chunked:
            self._inner.enable_chunking()
        await self._inner.write_headers(status_line, headers)

    def send_headers(self) -> None:
        if not self.hold:
            self._inner.send_headers()

    async def write(self, chunk: Any, *, drain: bool = True, LIMIT: int = 0x10000) -> None:
        if self.hold:
            self.body += bytes(chunk)
            return
        await self._inner.write(chunk, drain=drain, LIMIT=LIMIT)

    async def write_eof(self, chunk: bytes = b"") -> None:
        if self.hold:
            self.body += bytes(chunk)
            return
        await self._inner.write_eof(chunk)

    async def drain(self) -> None:
        if not self.hold:
            await self._inner.drain()

    def set_eof(self) -> None:
        if not self.hold:
            self._inner.set_eof()


class Capture:
    def __init__(self, req: Request, choose: Chooser) -> None:
        self.req = req
        self.choose = choose
        self.outer = req.on_prepare
        self.inner = _InnerCallbacks(self._decide)
        self.index: int | None = None
        self.seen: CIMultiDict[str] | None = None
        self.headers_before = req.state.get(HEADERS_STATE)
        self.raw_writer = getattr(req.raw, "_payload_writer", None)
        self.writer = _HoldingWriter(self.raw_writer) if self.raw_writer is not None else None

    @classmethod
    def install(cls, req: Request, choose: Chooser) -> "Capture":
        cap = cls(req, choose)
        req.on_prepare = cap.inner
        if cap.writer is not None:
            req.raw._payload_writer = cap.writer  # type: ignore[attr-defined]
        return cap

    def uninstall(self) -> None:
        """Back to the outer callbacks and writer, with the inner callbacks that did not run
        yet (those of a response that was not prepared) kept for the response that will be."""
        req = self.req
        if req.on_prepare is self.inner:
            pending = [] if self.inner.ran else list(list.__iter__(self.inner))
            req.on_prepare = self.outer
            req.on_prepare.extend(pending)
        if self.writer is not None:
            req.raw._payload_writer = self.raw_writer  # type: ignore[attr-defined]

    def view(self, headers: CIMultiDict[str]) -> CIMultiDict[str]:
        """The response headers plus the immediate ops of `header` handlers outside intercept:
        Caddy applies those to the header map before the chain runs, so its matcher sees them;
        here they wait for the final response (the headers module applies them when it goes out)."""
        pending = self.headers_before
        immediate = getattr(pending, "immediate", None)
        if not immediate:
            return headers
        view = CIMultiDict(headers)
        for ops in immediate:
            ops.apply(view, self.req.replacer)
        return view

    async def _decide(self, resp: web.StreamResponse) -> None:
        self.inner.ran = True
        self.seen = self.view(resp.headers)
        self.index = self.choose(resp.status, self.seen)
        if self.index is not None and self.writer is not None:
            self.writer.hold = True
            return
        for cb in self.outer:  # passing through: the outer handlers' callbacks apply now
            res = cb(resp)
            if res is not None:
                await res

    async def finish(self, resp: web.StreamResponse) -> Held | None:
        """After the chain returned `resp`: the held response, or None if it passes."""
        if not resp.prepared:
            if self.writer is None:
                return None
            # decide on the headers as they go out, after the inner handlers' callbacks (a
            # `header` set inside is there in Caddy when the matcher runs); a response that
            # passes is now prepared, and its body written when the server ends it
            await resp.prepare(self.req.raw)
        writer = self.writer
        if writer is None or not writer.hold or self.index is None:
            return None
        await resp.write_eof()
        req = self.req
        req.response = None  # nothing was sent: errors from the routes get a response
        if req.state.get(HEADERS_STATE) is not self.headers_before:
            # header ops from inside were applied to the held headers, which carry over: the
            # routes' `header` handlers start afresh (their callback goes on the outer list)
            req.state.pop(HEADERS_STATE, None)
            if self.headers_before is not None:
                req.state[HEADERS_STATE] = self.headers_before
        held = writer.headers or CIMultiDict()
        return Held(self.index, resp.status, held, self.seen or held, bytes(writer.body))
