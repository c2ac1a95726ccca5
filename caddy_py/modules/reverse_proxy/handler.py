"""`http.handlers.reverse_proxy`: the proxy loop (select, attempt, retry), the upstream round
trip on the http transport, and writing the upstream's response back (streamed).

Importing this file registers every reverse_proxy sub-module (policies, sources, transport,
copy_response handlers), since the runtime loader imports only `handler.py` of each package.
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, AsyncIterator

import aiohttp
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from multidict import CIMultiDict

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import lookup, register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request
from caddy_py.http.responses import HeadWithBody

from . import copy_response as _copy_response  # noqa: F401  (registers handlers)
from . import fastcgi as _fastcgi  # noqa: F401  (registers the fastcgi transport)
from . import metrics as upstream_metrics
from .bodies import buffer_body, copy_body, flush_interval, sniff_type
from .dialinfo import DialInfo, parse_dial
from .errors import BodyTooLarge, ProxyError
from .forwarded import HOP_HEADERS, parse_trusted, prepare_headers, remove_hop_headers, upgrade_type
from .header_ops import HeaderOps, ResponseMatcher, RespHeaderOps, status_matches
from .health import ActiveHealthChecker, PassivePolicy
from .hosts import Upstream, acquire_host, dynamic_host, forget_failure_later, release_host
from .placeholders import ProxyVars, proxy_vars
from .rewrite import UpstreamRewrite
from .response import UpstreamResponse
from .selection import load_policy
from .transport import HTTPTransport
from .upgrade import Stream
from .upstreams import load_source

log = logging.getLogger("http.handlers.reverse_proxy")
STATE_KEY = "reverse_proxy.handle_response"


class HandleResponse:
    def __init__(self, match: ResponseMatcher | None, status_code: Any, routes: Any) -> None:
        self.match, self.status_code, self.routes = match, status_code, routes


class ResponseContext:
    """What handle_response routes (copy_response, copy_response_headers) can reach."""

    def __init__(self, handler: "ReverseProxy", response: UpstreamResponse, start: float) -> None:
        self.handler, self.response, self.start = handler, response, start


@register("http.handlers.reverse_proxy")
class ReverseProxy:
    def __init__(self, cfg: dict[str, Any], ctx: Any = None) -> None:
        self.cfg = cfg
        self.upstreams = [Upstream.from_json(u) for u in cfg.get("upstreams") or []]
        self.flush_interval = seconds(cfg.get("flush_interval"))
        self.trusted_nets = parse_trusted(cfg.get("trusted_proxies") or [])
        hdrs = cfg.get("headers") or {}
        self.req_ops = HeaderOps.from_json(hdrs.get("request"))
        self.resp_ops = RespHeaderOps.from_json(hdrs.get("response"))
        self.request_buffers = int(cfg.get("request_buffers") or 0)
        self.response_buffers = int(cfg.get("response_buffers") or 0)
        self.stream_timeout = seconds(cfg.get("stream_timeout"))
        self.stream_close_delay = seconds(cfg.get("stream_close_delay"))
        self.rewrite = UpstreamRewrite.from_json(cfg.get("rewrite"))
        lb = cfg.get("load_balancing") or {}
        self.retries = int(lb.get("retries") or 0)
        self.try_duration = seconds(lb.get("try_duration"))
        self.try_interval = seconds(lb.get("try_interval"))
        if self.try_duration > 0 and self.try_interval == 0:
            self.try_interval = 0.25
        self.retry_match_cfg = lb.get("retry_match")
        self.retry_match: Any = None
        self.policy = load_policy(lb.get("selection_policy"), ctx)
        tcfg = dict(cfg.get("transport") or {"protocol": "http"})
        proto = tcfg.pop("protocol", "http")
        tcls = lookup(f"http.reverse_proxy.transport.{proto}")
        if tcls is None:
            raise ValueError(f"loading transport: unknown module: http.reverse_proxy.transport.{proto}")
        self.transport: HTTPTransport = tcls.from_json(tcfg, ctx)
        req_buf, resp_buf = getattr(self.transport, "default_buffer_sizes", (0, 0))
        self.request_buffers = self.request_buffers or req_buf
        self.response_buffers = self.response_buffers or resp_buf
        hc = cfg.get("health_checks") or {}
        self.passive = PassivePolicy.from_json(hc.get("passive"))
        self.active_cfg = hc.get("active")
        self.active: ActiveHealthChecker | None = None
        dyn = cfg.get("dynamic_upstreams")
        self.dynamic: Any = None
        if dyn:
            self.dynamic = load_source(dyn, ctx)
        self.handle_response: list[HandleResponse] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._streams: set[Stream] = set()
        self._acquired: list[str] = []
        self._inflight = 0
        self._closing = False
        self._dials: dict[str, DialInfo] = {}

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "ReverseProxy":
        return cls(cfg, ctx)

    async def provision(self, ctx: Any) -> None:
        for up in self.upstreams:
            self._bind(up)
            self._acquired.append(up.dial)
        if self.retry_match_cfg and ctx is not None and hasattr(ctx, "load_matchers"):
            self.retry_match = await ctx.load_matchers(self.retry_match_cfg)
        for rh in self.cfg.get("handle_response") or []:
            routes = None
            if rh.get("routes") and ctx is not None:
                routes = await ctx.load_routes(rh["routes"])
            self.handle_response.append(HandleResponse(ResponseMatcher.from_json(rh.get("match")),
                                                       rh.get("status_code"), routes))
        upstream_metrics.track(self)
        if self.active_cfg is not None:
            self.active = ActiveHealthChecker.from_json(self.active_cfg, self.transport)
            if self.active.enabled and self.upstreams:
                self.active.start(self.upstreams)

    def _bind(self, up: Upstream, dynamic: bool = False) -> None:
        up.host = dynamic_host(up.dial) if dynamic else acquire_host(up.dial)
        up.max_fails = self.passive.max_fails if self.passive else 0
        if self.passive and self.passive.unhealthy_request_count > 0 and up.max_requests == 0:
            up.max_requests = self.passive.unhealthy_request_count

    async def cleanup(self) -> None:
        upstream_metrics.untrack(self)
        if self.active is not None:
            await self.active.stop()
        for t in list(self._tasks):
            t.cancel()
        for dial in self._acquired:
            await release_host(dial)
        self._acquired.clear()
        if self._streams:
            if self.stream_close_delay > 0:
                streams = list(self._streams)
                asyncio.get_running_loop().call_later(
                    self.stream_close_delay, lambda: [s.close() for s in streams])
            else:
                for s in list(self._streams):
                    s.close()
        # a reload must not cut requests still being proxied: close the pool after the last
        self._closing = True
        if self._inflight == 0:
            await self.transport.cleanup()

    # -- the proxy loop ----------------------------------------------------------------------
    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        self._inflight += 1
        try:
            return await self._serve(req, next, proxy_vars(req))
        finally:
            self._inflight -= 1
            if self._closing and self._inflight == 0:
                await self.transport.cleanup()

    async def _serve(self, req: Request, next: Next, pv: ProxyVars) -> web.StreamResponse:
        method, target = self.rewrite.apply(req) if self.rewrite else (req.method, _target(req))
        headers: CIMultiDict[str] = CIMultiDict(req.headers)
        headers["Host"] = req.host
        up_type = prepare_headers(headers, remote_addr=req.remote_addr, scheme=req.scheme,
                                  host=req.host, trusted_nets=self.trusted_nets,
                                  trusted=bool(req.vars.get("trusted_proxy")),
                                  proto=f"{req.raw.version.major}.{req.raw.version.minor}")
        drop_body = self.rewrite is not None and self.rewrite.method in ("GET", "HEAD")
        if drop_body or self.request_buffers != 0 or req.raw.body_exists:
            body = await self._body(req, headers, drop_body)
        else:  # no body to send (most GETs)
            body = None
        start = time.monotonic()
        err: ProxyError | None = None
        retries = 0
        try:
            while True:
                done, result = await self._attempt(req, next, pv, method, target, headers, body,
                                                   up_type, start, retries, err)
                if done:
                    if isinstance(result, web.StreamResponse):
                        return result
                    err = result
                    break
                err = result
                retries += 1
        finally:
            pv.duration = time.monotonic() - start
            pv.retries = retries
        assert err is not None
        raise HandlerError(err.status, str(err), cause=err)

    async def _body(self, req: Request, headers: CIMultiDict[str], drop: bool) -> Any:
        """None, bytes (buffered: replayable on retries) or a one-shot stream factory."""
        if drop or not req.raw.body_exists:
            if drop:
                headers.popall("Content-Length", None)
            elif self.request_buffers != 0:
                headers["Content-Length"] = "0"  # Caddy "buffers" the empty body and sizes it
            return None
        limit = req.body_limit

        async def stream() -> AsyncIterator[bytes]:
            total = 0
            async for chunk in req.raw.content.iter_any():
                total += len(chunk)
                if limit is not None and total > limit:
                    raise BodyTooLarge()
                yield chunk

        if self.request_buffers == 0:
            return stream
        cap = self.request_buffers if self.request_buffers > 0 else None
        buf = bytearray()
        gen = stream()
        try:
            async for chunk in gen:
                buf += chunk
                if cap is not None and len(buf) >= cap:
                    break
            else:
                headers["Content-Length"] = str(len(buf))
                return bytes(buf)
        except BodyTooLarge:
            raise HandlerError(413, "http: request body too large") from None
        except RequestPayloadError as e:  # Caddy proxies what it buffered, then fails the same
            failed: RequestPayloadError | None = e
        else:
            failed = None
        head = bytes(buf)

        async def rest() -> AsyncIterator[bytes]:
            yield head
            if failed is not None:
                raise failed
            async for chunk in gen:
                yield chunk

        return rest

    async def _pool(self, req: Request) -> list[Upstream]:
        if self.dynamic is None:
            return self.upstreams
        try:
            ups = await self.dynamic.get_upstreams(req)
        except Exception as e:  # noqa: BLE001 - Caddy falls back to the static list
            log.error("failed getting dynamic upstreams; falling back to static upstreams",
                      extra={"error": str(e)})
            return self.upstreams
        for up in ups:
            self._bind(up, dynamic=True)
        return ups

    async def _attempt(self, req: Request, next: Next, pv: ProxyVars, method: str, target: str,
                       headers: CIMultiDict[str], body: Any, up_type: str, start: float,
                       retries: int, prev: ProxyError | None) -> tuple[bool, Any]:
        pool = self.upstreams if self.dynamic is None else await self._pool(req)
        upstream = self.policy.select(pool, req)
        if upstream is None:
            err = prev or ProxyError("no upstreams available", status=503, no_upstream=True)
            return (not await self._try_again(req, start, retries, err)), err
        try:
            di = self._dial_info(req, upstream.dial)
        except ValueError as e:
            return True, ProxyError(f"making dial info: upstream {upstream.dial}: invalid dial address: {e}",
                                    status=500)
        pv.dial = di
        pv.requests = upstream.host.num_requests
        pv.max_requests = upstream.max_requests
        pv.fails = upstream.host.fails
        hdrs = CIMultiDict(headers)
        if self.req_ops is not None:
            self.req_ops.apply(hdrs, req.replacer)
        host = upstream.host
        try:
            host.num_requests += 1  # in flight while the response is copied too
            try:
                t0 = time.monotonic()
                res = await self.transport.round_trip(req, di, method, target, hdrs, body, up_type)
                latency = time.monotonic() - t0
                resp = await self._handle_upstream_response(req, next, pv, upstream, res,
                                                            latency, start, up_type)
            finally:
                host.num_requests -= 1
            return True, resp
        except asyncio.CancelledError:
            raise
        except ProxyError as err:
            if not err.retryable_response:
                self._count_failure(upstream)
            return (not await self._try_again(req, start, retries, err)), err
        except HandlerError:
            raise
        except BodyTooLarge as e:
            err = ProxyError("http: request body too large", status=413)
            err.__cause__ = e
            return True, err

    def _dial_info(self, req: Request, dial: str) -> DialInfo:
        """The dial address parsed (placeholders replaced first); a fixed one is parsed once."""
        if "{" in dial:
            return parse_dial(req.replacer.replace_all(dial, ""))
        di = self._dials.get(dial)
        if di is None:
            if len(self._dials) >= 1024:  # dynamic upstreams come and go: stay bounded
                self._dials.clear()
            di = self._dials[dial] = parse_dial(dial)
        return di

    async def _try_again(self, req: Request, start: float, retries: int, err: ProxyError) -> bool:
        if self.try_duration == 0 and self.retries == 0:
            return False
        if self.try_duration > 0 and time.monotonic() - start >= self.try_duration:
            return False
        if self.retries > 0 and retries >= self.retries:
            return False
        if not err.dial and not err.retryable_response and not err.no_upstream:
            if self.retry_match is None and req.method != "GET":
                return False
            if self.retry_match is not None:
                req.replacer.set("http.reverse_proxy.is_transport_error", True)
                try:
                    if not await _matches(self.retry_match, req):
                        return False
                finally:
                    req.replacer.delete("http.reverse_proxy.is_transport_error")
        if self.try_interval > 0:
            await asyncio.sleep(self.try_interval)
        return True

    def _response_retry(self, req: Request) -> bool:
        """Caddy retries on a response only through matcher sets with an expression matcher
        (those can see `{http.reverse_proxy.status_code}` and response headers)."""
        for ms in getattr(self.retry_match, "sets", None) or []:
            if any(getattr(m, "module_id", "") == "http.matchers.expression" for m in ms.matchers):
                if ms.match(req):
                    return True
        return False

    def _count_failure(self, upstream: Upstream) -> None:
        if self.passive is None or self.passive.fail_duration <= 0:
            return
        forget_failure_later(upstream.host, self.passive.fail_duration, self._tasks)

    # -- one round trip ----------------------------------------------------------------------
    async def _handle_upstream_response(self, req: Request, next: Next, pv: ProxyVars,
                                        upstream: Upstream, res: UpstreamResponse, latency: float,
                                        start: float, up_type: str) -> web.StreamResponse:
        res.start = start
        pv.latency = latency
        pv.headers = CIMultiDict(res.headers)  # as received (finalize edits res.headers)
        pv.status = res.status
        pv.reason = res.reason
        if self.passive is not None:
            for bad in self.passive.unhealthy_status:
                if status_matches(res.status, bad):
                    self._count_failure(upstream)
            if 0 < self.passive.unhealthy_latency <= latency:
                self._count_failure(upstream)
        if self._response_retry(req):
            res.close()
            raise ProxyError(f"upstream response matched retry_match (status {res.status})",
                             retryable_response=True)
        for rh in self.handle_response:
            if rh.match is not None and not rh.match.match(res.status, res.headers):
                continue
            if rh.status_code not in (None, "", 0):
                code = req.replacer.replace_all(str(rh.status_code), "")
                try:
                    status = int(code)
                except ValueError:
                    res.close()
                    raise HandlerError(500, f"strconv.Atoi: parsing {code!r}: invalid syntax") from None
                if status:
                    res.status = status
                break
            if rh.routes is None:
                res.close()
                return await next(req)
            req.state[STATE_KEY] = ResponseContext(self, res, start)
            try:
                return await rh.routes.serve(req, next)
            finally:
                if not res.finalized:
                    res.close()
        return await self.finalize(req, res, up_type)

    async def finalize(self, req: Request, res: UpstreamResponse, up_type: str = "",
                       status: int | None = None) -> web.StreamResponse:
        """Copy the upstream response to the client (headers, then the streamed body)."""
        res.finalized = True
        hdrs = res.headers
        upgrade_val = hdrs.get("Upgrade", "")
        remove_hop_headers(hdrs)
        if res.status == 101 and upgrade_val:
            hdrs["Upgrade"] = upgrade_val
            hdrs["Connection"] = "Upgrade"
        if res.status == 101 and res.raw is not None:
            return await self._switch_protocols(req, res, up_type)
        hdrs.add("Via", f"{res.version} Caddy")
        if self.resp_ops is not None and self.resp_ops.ops is not None:
            if self.resp_ops.require is None or self.resp_ops.require.match(res.status, hdrs):
                self.resp_ops.ops.apply(hdrs, req.replacer)
        body = res.body
        if "Content-Type" not in hdrs and req.method != "HEAD":
            body = await sniff_type(body, hdrs, req)
        if self.response_buffers != 0 and "Content-Length" not in hdrs:
            body, complete, size = await buffer_body(body, self.response_buffers)
            if complete:
                hdrs["Content-Length"] = str(size)
        interval = flush_interval(self.flush_interval, hdrs)
        if interval >= 0:  # buffered (or flushed now and then): the head waits for the body
            resp: web.StreamResponse = HeadWithBody(status=status or res.status)
        else:  # streamed: the client gets the head at once
            resp = web.StreamResponse(status=status or res.status)
        resp.headers.extend(hdrs)
        # Caddy drops its own Server header for proxied responses: the upstream's (if any) wins
        req.state["__no_server_header__"] = True
        if "Server" not in hdrs:
            req.on_prepare.append(_drop_server_header)
        try:
            await resp.prepare(req.raw)
            if req.method != "HEAD":
                await copy_body(resp, body, interval)
            await resp.write_eof()
        except (aiohttp.ClientError, ConnectionError, asyncio.TimeoutError,
                asyncio.IncompleteReadError) as e:
            # headers are out: nothing an error handler can do; cut the connection
            log.warning("aborting with incomplete response", extra={"error": str(e)})
            if req.raw.transport is not None:
                req.raw.transport.close()
        finally:
            res.close()
        if res.start:
            proxy_vars(req).upstream_duration = time.monotonic() - res.start
        return resp

    async def _switch_protocols(self, req: Request, res: UpstreamResponse,
                                up_type: str) -> web.StreamResponse:
        assert res.raw is not None
        if upgrade_type(res.headers) != up_type or not up_type:
            log.debug("backend tried to switch to unexpected protocol via Upgrade header")
            res.close()
            return web.Response(status=200)  # Go writes nothing: an empty 200
        hijack = getattr(req, "hijack", None)
        if hijack is not None:
            hijack()
        resp = web.StreamResponse(status=101)
        # Caddy's own Server header stays on a 101; the upstream's values are added after it
        req.state["__no_server_header__"] = True
        resp.headers["Server"] = "Caddy"
        for k, v in res.headers.items():
            resp.headers.add(k, v)
        resp.force_close()
        await resp.prepare(req.raw)
        stream = Stream(req.raw, res.raw, up_type == "websocket")
        self._streams.add(stream)
        try:
            await stream.pipe(resp, self.stream_timeout)
        finally:
            self._streams.discard(stream)
        return resp


def _drop_server_header(resp: web.StreamResponse) -> None:
    resp.headers.popall("Server", None)


def _target(req: Request) -> str:
    return req.path + ("?" + req.raw_query if req.raw_query else "")


async def _matches(matcher_sets: Any, req: Request) -> bool:
    fn = getattr(matcher_sets, "any_match", None) or getattr(matcher_sets, "match", None)
    if fn is None:
        return False
    res = fn(req)
    if asyncio.iscoroutine(res):
        res = await res
    return bool(res)


__all__ = ["ReverseProxy", "UpstreamResponse", "ResponseContext", "STATE_KEY", "HOP_HEADERS"]
