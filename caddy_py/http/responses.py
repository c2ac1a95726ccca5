"""Response classes shared by handlers."""
from __future__ import annotations

from aiohttp import web


class HeadWithBody(web.StreamResponse):
    """A response whose head goes out with its first body bytes, in one write (aiohttp's
    StreamResponse sends the head alone, a second syscall per response). Go's ResponseWriter
    buffers the head the same way until the handler writes or flushes; handlers that must show
    the head at once (streams) use a plain StreamResponse."""

    _send_headers_immediately = False
