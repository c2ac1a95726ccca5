"""`http.handlers.headers`: request and response header operations (Caddy's headers.Handler).

Request ops apply at once, with the Host header standing for `req.host` as in Caddy.
Response ops run when the response's headers go out (`req.on_prepare`), in Caddy's order:
first the immediate ops of every `headers` handler the request passed (outer to inner), then
the deferred ones (`deferred` or `require`) from inner to outer, so an outer deferred block
runs last, as Caddy's nested response-writer wrappers do. Deferred ops registered before an
error apply only to the normal response, not to the one from `errors.routes` (Caddy's error
chain writes to the unwrapped writer).

Caddy applies immediate ops to the header map *before* the inner handler writes its own
headers. For proxied responses (reverse_proxy adds the upstream's fields to that map) the ops
run on an empty map whose values then come first, as in Caddy. For other responses they run on
the finished headers: right for fields inner handlers only fill when absent (Content-Type), but
a field an inner handler *sets* (static_response `headers`) is overridden here, where Caddy
keeps the inner handler's value.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.reverse_proxy.header_ops import HeaderOps, Replacement, RespHeaderOps

STATE_KEY = "http.handlers.headers"
# set by reverse_proxy when the response's headers were copied from an upstream
PROXIED_MARK = "__no_server_header__"


def _merge_before(resp: web.StreamResponse, immediate: list[HeaderOps], repl: Any) -> None:
    """Immediate ops as Caddy runs them for a proxied response: on the (then empty) header map
    *before* reverse_proxy adds the upstream's fields, so their values come first."""
    early: CIMultiDict[str] = CIMultiDict()
    for ops in immediate:
        ops.apply(early, repl)
    if not early:
        return
    merged: CIMultiDict[str] = CIMultiDict()
    for key in dict.fromkeys(k.lower() for k in early):
        merged.extend((k, v) for k, v in early.items() if k.lower() == key)
        merged.extend((k, v) for k, v in resp.headers.items() if k.lower() == key)
    merged.extend((k, v) for k, v in resp.headers.items() if k not in early)
    resp.headers.clear()
    resp.headers.extend(merged)


def _validate(ops: HeaderOps | None) -> None:
    if ops is None:
        return
    for name, reps in ops.replace.items():
        for r in reps:
            if r.search and r.search_regexp:
                raise ValueError("cannot specify both a substring search and a regular expression search "
                                 f"for field '{name}'")


def _compile_check(cfg: dict[str, Any] | None) -> None:
    """Caddy compiles placeholder-free regexps at provision; report a bad one the same way."""
    for name, reps in ((cfg or {}).get("replace") or {}).items():
        for i, r in enumerate(reps or []):
            try:
                Replacement.from_json(r)
            except Exception as e:  # noqa: BLE001 - re.error and friends
                raise ValueError(f"replacement {i} for header field '{name}': {e}") from None


class _Pending:
    """The response ops collected for one request, applied once when headers go out."""

    __slots__ = ("immediate", "deferred")

    def __init__(self) -> None:
        self.immediate: list[HeaderOps] = []
        self.deferred: list[tuple[RespHeaderOps, bool, Any]] = []  # (ops, in error phase, replacer)

    def make_callback(self, req: Request) -> Any:
        def apply(resp: web.StreamResponse) -> None:
            repl = req.replacer
            if self.immediate and req.state.get(PROXIED_MARK):
                _merge_before(resp, self.immediate, repl)
            else:
                for ops in self.immediate:
                    ops.apply(resp.headers, repl)
            erroring = req.error is not None
            for rops, phase, _ in reversed(self.deferred):
                if phase != erroring:
                    continue
                if rops.require is not None and not rops.require.match(resp.status, resp.headers):
                    continue
                if rops.ops is not None:
                    rops.ops.apply(resp.headers, repl)

        return apply


@register("http.handlers.headers")
class Headers:
    def __init__(self, cfg: dict[str, Any]) -> None:
        _compile_check(cfg.get("request"))
        _compile_check(cfg.get("response"))
        self.request = HeaderOps.from_json(cfg.get("request"))
        self.response = RespHeaderOps.from_json(cfg.get("response"))

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Headers":
        return cls(cfg or {})

    def validate(self) -> None:
        _validate(self.request)
        if self.response is not None:
            _validate(self.response.ops)

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.request is not None:
            self._apply_to_request(req)
        rops = self.response
        if rops is not None:
            pending = req.state.get(STATE_KEY)
            if pending is None:
                pending = req.state[STATE_KEY] = _Pending()
                req.on_prepare.append(pending.make_callback(req))
            if rops.deferred or rops.require is not None:
                pending.deferred.append((rops, req.error is not None, None))
            elif rops.ops is not None:
                pending.immediate.append(rops.ops)
        return await next(req)

    def _apply_to_request(self, req: Request) -> None:
        """Ops on the request headers, where `Host` stands for the request's host."""
        hdr = req.headers
        had_host = "Host" in hdr
        hdr.popall("Host", None)
        hdr.add("Host", req.host)
        assert self.request is not None
        self.request.apply(hdr, req.replacer)
        hosts = hdr.getall("Host", [])
        req.host = hosts[-1] if hosts else ""
        hdr.popall("Host", None)
        if had_host and req.host:
            hdr["Host"] = req.host
