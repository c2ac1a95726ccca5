"""Per-request context passed down the handler chain (Caddy's *http.Request plus its context).

`raw` is aiohttp's request and stays untouched (it is the "original request"); the fields
below are the request as rewritten so far, which matchers and later handlers see.
Owned by the runtime core; extend, keep stable.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from urllib.parse import unquote

from multidict import CIMultiDict

if TYPE_CHECKING:  # pragma: no cover
    from aiohttp import web

    from caddy_py.replacer import Replacer


def remote_addr(raw: "web.BaseRequest") -> str:
    """Go's RemoteAddr: "ip:port", IPv6 in brackets, "@" for a unix socket peer; formatted once
    per connection (kept on the protocol object)."""
    proto = raw.protocol
    cached = getattr(proto, "caddy_remote", None)
    if cached is not None:
        return cached
    peer = proto.peername if proto is not None else None
    if isinstance(peer, tuple):
        ip = peer[0]
        text = f"[{ip}]:{peer[1]}" if ":" in ip else f"{ip}:{peer[1]}"
    else:
        text = "@" if proto is not None and proto.transport is not None else ""
    try:
        proto.caddy_remote = text  # type: ignore[union-attr]
    except AttributeError:  # a protocol class with slots only: compute every time
        pass
    return text


def split_target(target: str) -> tuple[str, str, str]:
    """(authority, escaped path, raw query) of a request target; the authority is set only for
    the absolute form (`GET http://host/path`, sent to proxies), which Go routes by its path."""
    authority = ""
    if not target.startswith("/") and "://" in target:
        authority, slash, rest = target.split("://", 1)[1].partition("/")
        target = "/" + rest if slash else "/"
    path, _, query = target.partition("?")
    return authority, path, query


class Request:
    __slots__ = (
        "raw", "method", "path", "raw_query", "headers", "host", "scheme", "remote_addr",
        "vars", "_replacer", "on_prepare", "server", "body_limit", "state",
        "error", "response", "start_time", "_dpath_src", "_dpath", "_providers", "__weakref__",
    )

    def __init__(self, raw: "web.BaseRequest", replacer: "Replacer | None" = None, server: Any = None) -> None:
        self.raw = raw
        self.method: str = raw.method
        target = raw.raw_path
        if target[:1] == "/":  # origin form, nearly every request: no authority to split off
            path, _, query = target.partition("?")
            authority = ""
        else:
            authority, path, query = split_target(target)
        self.path: str = path  # escaped path, as in the request line
        self.raw_query: str = query  # as sent (aiohttp's query_string is decoded)
        headers = raw.headers
        self.headers: CIMultiDict[str] = CIMultiDict(headers)
        # the Host header as sent ("" without one; aiohttp's .host would look up the FQDN)
        self.host: str = authority or headers.get("Host", "")
        self.scheme: str = raw.scheme
        self.remote_addr: str = getattr(raw.protocol, "caddy_remote", None) or remote_addr(raw)
        # http.vars.* (the `vars` handler and matchers; also Caddy internals like client_ip)
        self.vars: dict[str, Any] = {}
        # None: built on first use, with the {http.*} provider (most fast paths never need one)
        self._replacer = replacer
        # callbacks run right before the response's headers are sent (deferred header ops, encode)
        self.on_prepare: list[Callable[["web.StreamResponse"], Awaitable[None] | None]] = []
        self.server = server
        self.body_limit: int | None = None  # request_body max_size
        self.state: dict[str, Any] = {}  # free slots for modules (keyed by module ID)
        # the HandlerError being handled while errors.routes run (None otherwise)
        self.error: Any = None
        # the response whose headers were sent (set by the server when it is prepared)
        self.response: "web.StreamResponse | None" = None
        self.start_time: float = 0.0  # time.perf_counter() when the request arrived
        self._dpath_src = ""
        self._dpath = ""
        self._providers: list[Callable[[str], tuple[Any, bool]]] | None = None

    def add_provider(self, provider: Callable[[str], tuple[Any, bool]]) -> None:
        """Map a placeholder provider into this request's Replacer, now or (when there is none
        yet) once it is built: handlers expose values computed on read this way."""
        if self._replacer is not None:
            self._replacer.map(provider)
        elif self._providers is None:
            self._providers = [provider]
        else:
            self._providers.append(provider)

    @property
    def replacer(self) -> "Replacer":
        repl = self._replacer
        if repl is None:
            from caddy_py.http.placeholders import request_replacer  # it imports this module

            repl = self._replacer = request_replacer(self)
            if self._providers is not None:
                repl.providers.extend(self._providers)
        return repl

    @replacer.setter
    def replacer(self, repl: "Replacer") -> None:
        self._replacer = repl

    @property
    def decoded_path(self) -> str:
        """`path` with %-escapes decoded (Go's URL.Path): what path matchers compare."""
        p = self.path
        if p is not self._dpath_src:
            self._dpath_src = p
            self._dpath = unquote(p) if "%" in p else p
        return self._dpath

    @property
    def uri(self) -> str:
        """Path and query as currently rewritten (Go's URL.RequestURI())."""
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    def hijack(self) -> None:
        """Mark this connection as taken over (WebSocket): a config reload neither waits for it
        nor closes it; the handler that hijacked owns its lifetime."""
        proto = self.raw.protocol
        if proto is not None:
            setattr(proto, "caddy_hijacked", True)
