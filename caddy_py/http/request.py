"""Per-request context passed down the handler chain (Caddy's *http.Request plus its context).

`raw` is aiohttp's request and stays untouched (it is the "original request"); the fields
below are the request as rewritten so far, which matchers and later handlers see.
Owned by the runtime core; extend, keep stable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from multidict import CIMultiDict

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

    from caddy_py.replacer import Replacer


class Request:
    __slots__ = (
        "raw", "method", "path", "raw_query", "headers", "host", "scheme", "remote_addr",
        "vars", "replacer", "on_prepare", "server", "body_limit", "state",
    )

    def __init__(self, raw: "web.BaseRequest", replacer: "Replacer", server: Any = None) -> None:
        self.raw = raw
        self.method: str = raw.method
        self.path: str = raw.raw_path.split("?", 1)[0]  # escaped path, as in the request line
        self.raw_query: str = raw.query_string
        self.headers: CIMultiDict[str] = CIMultiDict(raw.headers)
        self.host: str = raw.host
        self.scheme: str = raw.scheme
        peer = raw.transport.get_extra_info("peername") if raw.transport else None
        self.remote_addr: str = f"{peer[0]}:{peer[1]}" if peer else ""
        # http.vars.* (the `vars` handler and matchers; also Caddy internals like client_ip)
        self.vars: dict[str, Any] = {}
        self.replacer = replacer
        # callbacks run right before the response's headers are sent (deferred header ops, encode)
        self.on_prepare: list[Callable[["web.StreamResponse"], Awaitable[None] | None]] = []
        self.server = server
        self.body_limit: int | None = None  # request_body max_size
        self.state: dict[str, Any] = {}  # free slots for modules (keyed by module ID)
