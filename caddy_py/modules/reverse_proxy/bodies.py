"""Response body helpers for the proxy: Go-style Content-Type sniffing of the first bytes and
response buffering (`response_buffers`)."""
from __future__ import annotations

from typing import TYPE_CHECKING, AsyncIterator

from aiohttp import web
from multidict import CIMultiDict

from .sniff import detect_content_type

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request


async def sniff_type(body: AsyncIterator[bytes], hdrs: CIMultiDict[str],
                      req: "Request") -> AsyncIterator[bytes]:
    """Go's server sniffs a Content-Type from the first bytes when none is set."""
    first = b""
    async for chunk in body:
        first = chunk
        if chunk:
            break
    if first:
        hdrs["Content-Type"] = detect_content_type(first)
    else:
        req.on_prepare.append(_drop_content_type)

    async def rest() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for chunk in body:
            yield chunk
    return rest()


def _drop_content_type(resp: web.StreamResponse) -> None:
    resp.headers.popall("Content-Type", None)


async def buffer_body(body: AsyncIterator[bytes], limit: int) -> tuple[AsyncIterator[bytes], bool, int]:
    buf = bytearray()
    complete = True
    async for chunk in body:
        buf += chunk
        if 0 < limit <= len(buf):
            complete = False
            break
    head = bytes(buf)
    if complete:
        async def whole() -> AsyncIterator[bytes]:
            if head:
                yield head
        return whole(), True, len(head)

    async def rest() -> AsyncIterator[bytes]:
        yield head
        async for chunk in body:
            yield chunk
    return rest(), False, 0
