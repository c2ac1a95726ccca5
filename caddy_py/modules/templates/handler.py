"""`http.handlers.templates`: executes response bodies as Go text/templates (Caddy's templates).

Responses whose Content-Type contains one of `mime_types` (default text/html, text/plain,
text/markdown) are rendered with the context of `context.py`; Content-Length is recomputed and
Accept-Ranges, Last-Modified and ETag are dropped, as Caddy does. Buffered responses are
rendered before they leave the handler (a template error becomes HandlerError 500); streamed
ones (file_server) are captured through a stand-in payload writer and rendered when they end
(an error there can only send a bare 500). The engine is a subset of Go's text/template (see
gotemplate.py); `match` (template function plugins) is not supported. A template that may
reach `httpInclude` (its text mentions include or import) renders in a worker thread, so that
the virtual request can be served on the event loop meanwhile.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable

from aiohttp import web
from multidict import CIMultiDict

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request
from caddy_py.logging import log

from .context import TemplateContext
from .gotemplate import TemplateError

LOGGER = "http.handlers.templates"
DEFAULT_MIME_TYPES = ["text/html", "text/plain", "text/markdown"]
_DROPPED = ("Accept-Ranges", "Last-Modified", "Etag")


class _CaptureWriter:
    """aiohttp payload writer stand-in: holds back a matching response and renders it at EOF."""

    def __init__(self, inner: Any, wants: Callable[[CIMultiDict[str]], bool],
                 render: Callable[[bytes, CIMultiDict[str]], Awaitable[bytes]]) -> None:
        self._inner = inner
        self._wants = wants
        self._render = render
        self.active = True
        self.length: int | None = None
        self.chunked = False
        self._held: tuple[str, CIMultiDict[str]] | None = None
        self._passing = False
        self._buf = bytearray()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def enable_chunking(self) -> None:
        self.chunked = True

    async def write_headers(self, status_line: str, headers: CIMultiDict[str]) -> None:
        if self.active and self._wants(headers):
            self._held = (status_line, headers)
            return
        self._passing = True
        self._inner.length = self.length
        if self.chunked:
            self._inner.enable_chunking()
        await self._inner.write_headers(status_line, headers)

    def send_headers(self) -> None:
        if self._held is None:
            self._inner.send_headers()

    async def write(self, chunk: Any, *, drain: bool = True, LIMIT: int = 0x10000) -> None:
        if self._held is not None:
            self._buf += bytes(chunk)
            return
        await self._inner.write(chunk, drain=drain, LIMIT=LIMIT)

    async def write_eof(self, chunk: bytes = b"") -> None:
        if self._held is None:
            await self._inner.write_eof(chunk)
            return
        status_line, headers = self._held
        self._held = None
        self._buf += bytes(chunk)
        try:
            body = await self._render(bytes(self._buf), headers)
        except Exception as e:  # noqa: BLE001 - any failure must still end the response
            log(LOGGER, logging.ERROR, "template execution failed", error=str(e))
            version = status_line.split(" ", 1)[0]
            status_line, headers, body = f"{version} 500 Internal Server Error", CIMultiDict(), b""
        headers.popall("Transfer-Encoding", None)
        headers["Content-Length"] = str(len(body))
        self._inner.length = len(body)
        await self._inner.write_headers(status_line, headers)
        await self._inner.write_eof(body)

    def set_eof(self) -> None:
        self._inner.set_eof()


async def _in_own_thread(fn: Callable[[asyncio.AbstractEventLoop], bytes]) -> bytes:
    """Run `fn(loop)` in a thread of its own (not a pool: a render waiting on a virtual request
    whose own render needs a thread must never wait for a free worker)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[bytes] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def run() -> None:
        try:
            outcome = (True, fn(loop))
        except BaseException as e:  # noqa: BLE001 - handed to the awaiting coroutine
            outcome = (False, e)
        try:
            loop.call_soon_threadsafe(settle, *outcome)
        except RuntimeError:  # the loop closed meanwhile (shutdown): nobody waits any more
            pass

    threading.Thread(target=run, name="templates-render", daemon=True).start()
    return await fut


def _carry_headers(headers: CIMultiDict[str], resp: web.StreamResponse) -> None:
    for k in set(headers):
        if k.lower() != "content-length" and k not in resp.headers:
            resp.headers.extend((k, v) for v in headers.getall(k))


@register("http.handlers.templates")
class Templates:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.file_root = str(cfg.get("file_root") or "{http.vars.root}")
        mimes = cfg.get("mime_types")
        self.mime_types = [str(m) for m in mimes] if mimes is not None else DEFAULT_MIME_TYPES
        delims = [str(d) for d in cfg.get("delimiters") or []]
        if delims and len(delims) != 2:
            raise ConfigError("delimiters must consist of exactly two elements: opening and closing")
        self.delims = (delims[0], delims[1]) if delims else ("{{", "}}")
        if cfg.get("match"):
            raise ConfigError("template function extensions (match) are not supported by caddy-py")

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Templates":
        return cls(cfg or {})

    def _wants(self, headers: Any) -> bool:
        ct = headers.get("Content-Type", "")
        return any(m in ct for m in self.mime_types)

    async def _render(self, req: Request, body: bytes, headers: CIMultiDict[str]) -> bytes:
        source = body.decode("utf-8", "surrogateescape")
        if "nclude" in source or "import" in source:  # include or httpInclude may be reached
            return await _in_own_thread(lambda loop: self._render_with(req, source, headers, loop))
        return self._render_with(req, source, headers, None)

    def _render_with(self, req: Request, source: str, headers: CIMultiDict[str],
                     loop: asyncio.AbstractEventLoop | None) -> bytes:
        root = req.replacer.replace_all(self.file_root, ".")
        ctx = TemplateContext(req, root, headers, self.delims, loop)
        out = ctx.render(source).encode("utf-8", "surrogateescape")
        for h in _DROPPED:
            headers.popall(h, None)
        return out

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        raw = req.raw
        inner = getattr(raw, "_payload_writer", None)
        writer = None
        if inner is not None:
            writer = _CaptureWriter(inner, self._wants, lambda b, h: self._render(req, b, h))  # awaited
            raw._payload_writer = writer  # type: ignore[attr-defined]
        try:
            resp = await next(req)
        finally:
            if writer is not None:
                writer.active = False  # later writes (error pages, buffered responses) pass through
        body = getattr(resp, "body", None)
        if not resp.prepared and isinstance(body, (bytes, bytearray)) and self._wants(resp.headers):
            headers = CIMultiDict(resp.headers)
            try:
                rendered = await self._render(req, bytes(body), headers)
            except TemplateError as e:
                # in Caddy these headers already sit in the response writer's map: the error
                # response carries them
                req.on_prepare.append(lambda r: _carry_headers(headers, r))
                raise HandlerError(500, str(e), cause=e) from None
            resp.body = rendered
            headers.popall("Content-Length", None)  # aiohttp recomputes it from the new body
            resp.headers.clear()
            resp.headers.extend(headers)
        return resp
