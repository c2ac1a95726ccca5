"""`{http.reverse_proxy.*}` placeholders, computed when read.

The proxy records what it knows as it goes (the selected upstream, the response head, the
durations) on one `ProxyVars` per request, mapped into the request's Replacer as a provider.
Nothing is formatted unless a placeholder asks, and no Replacer is built for a request that
never reads one. A value not recorded yet is unknown, as an unset placeholder is.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from multidict import CIMultiDict

    from caddy_py.http.request import Request

    from .dialinfo import DialInfo

STATE_KEY = "reverse_proxy.vars"
PREFIX = "http.reverse_proxy."


class ProxyVars:
    __slots__ = ("dial", "requests", "max_requests", "fails", "latency", "headers", "status",
                 "reason", "duration", "retries", "upstream_duration")

    def __init__(self) -> None:
        self.dial: DialInfo | None = None  # the last selected upstream and its counters then
        self.requests = self.max_requests = self.fails = 0
        self.latency: float | None = None  # the last response head: its latency, status, headers
        self.headers: CIMultiDict[str] | None = None
        self.status = 0
        self.reason = ""
        self.duration: float | None = None  # after the proxy loop
        self.retries = 0
        self.upstream_duration: float | None = None  # after the body was copied

    def lookup(self, key: str) -> tuple[Any, bool]:
        if not key.startswith(PREFIX):
            return None, False
        k = key[19:]
        if k.startswith("upstream."):
            return self._upstream(k[9:])
        if k.startswith("header."):
            h = self.headers
            name = k[7:]
            if h is None or name not in set(h.keys()):  # the names as the upstream wrote them
                return None, False
            return ",".join(h.getall(name)), True
        if self.latency is not None:
            if k == "status_code":
                return self.status, True
            if k == "status_text":
                return f"{self.status} {self.reason}".strip(), True
        if self.duration is not None:
            if k == "duration":
                return self.duration, True
            if k == "duration_ms":
                return self.duration * 1e3, True
            if k == "retries":
                return self.retries, True
        return None, False

    def _upstream(self, k: str) -> tuple[Any, bool]:
        di = self.dial
        if di is not None:
            getter = _UPSTREAM.get(k)
            if getter is not None:
                return getter(self, di), True
        if self.latency is not None:
            if k == "latency":
                return self.latency, True
            if k == "latency_ms":
                return self.latency * 1e3, True
        if self.upstream_duration is not None:
            if k == "duration":
                return self.upstream_duration, True
            if k == "duration_ms":
                return self.upstream_duration * 1e3, True
        return None, False


_UPSTREAM: dict[str, Callable[[ProxyVars, "DialInfo"], Any]] = {
    "address": lambda v, di: str(di),
    "hostport": lambda v, di: di.address,
    "host": lambda v, di: di.host,
    "port": lambda v, di: di.port,
    "requests": lambda v, di: v.requests,
    "max_requests": lambda v, di: v.max_requests,
    "fails": lambda v, di: v.fails,
}


def proxy_vars(req: "Request") -> ProxyVars:
    """This request's ProxyVars (one for every reverse_proxy the request passes through, as
    they all set the same placeholders)."""
    pv = req.state.get(STATE_KEY)
    if pv is None:
        pv = req.state[STATE_KEY] = ProxyVars()
        req.add_provider(pv.lookup)
    return pv
