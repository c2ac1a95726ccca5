"""`http.reverse_proxy.transport.http`: Caddy's HTTP transport, on an aiohttp ClientSession.

One session (connection pool) per handler, created lazily inside the running loop. Timeouts:
dial_timeout (default 3s) -> connect, read_timeout -> per-read, write_timeout -> per-write,
response_header_timeout -> until the response head arrives, expect_continue_timeout -> how long
a request with `Expect: 100-continue` holds its body back. Pool: max_conns_per_host caps
connections per upstream (requests queue), keep_alive.max_idle_conns_per_host (default 32) and
max_idle_conns cap the idle ones, `keep_alive.enabled: false` closes connections after each
request and says so (`Connection: close`). Like Go's transport, a request without
Accept-Encoding asks for gzip and gets it decompressed.
"""
from __future__ import annotations

import asyncio
import base64
import ssl
from functools import partial
from typing import TYPE_CHECKING, Any

import aiohttp
from multidict import CIMultiDict

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import register

from .dialinfo import DialInfo
from .errors import BodyTooLarge, classify
from .response import UpstreamResponse, write_informational
from .upgrade import open_raw, roundtrip_raw
from .upstream_io import INFORMATIONAL, RequestBody, continue_request_class, idle_limited, once, response_class

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request


def _tls_context(cfg: dict[str, Any]) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    pool = cfg.get("ca") or {}
    pem_files = list(cfg.get("root_ca_pem_files") or [])
    if pool.get("provider") == "file":
        pem_files += list(pool.get("pem_files") or [])
    if pool.get("provider") == "inline":
        for der_b64 in pool.get("trusted_ca_certs") or []:
            ctx.load_verify_locations(cadata=base64.b64decode(der_b64))
    for pem in pem_files:
        ctx.load_verify_locations(cafile=pem)
    for der_b64 in cfg.get("root_ca_pool") or []:
        ctx.load_verify_locations(cadata=base64.b64decode(der_b64))
    if cfg.get("client_certificate_file"):
        ctx.load_cert_chain(cfg["client_certificate_file"], cfg.get("client_certificate_key_file"))
    if cfg.get("insecure_skip_verify"):
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


@register("http.reverse_proxy.transport.http")
class HTTPTransport:
    def __init__(self, cfg: dict[str, Any] | None = None) -> None:
        cfg = cfg or {}
        self.dial_timeout = seconds(cfg.get("dial_timeout"), 3.0)
        self.response_header_timeout = seconds(cfg.get("response_header_timeout"))
        self.read_timeout = seconds(cfg.get("read_timeout"))
        self.write_timeout = seconds(cfg.get("write_timeout"))
        ka = cfg.get("keep_alive") or {}
        self.keepalive = ka.get("enabled", True) is not False
        self.idle_timeout = seconds(ka.get("idle_timeout"), 120.0)
        self.max_idle_per_host = int(ka.get("max_idle_conns_per_host") or 32)
        self.max_idle = int(ka.get("max_idle_conns") or 0)
        self.expect_continue_timeout = seconds(cfg.get("expect_continue_timeout"))
        self.max_conns_per_host = int(cfg.get("max_conns_per_host") or 0)
        self.compression = cfg.get("compression", True) is not False
        self.tls_cfg: dict[str, Any] | None = cfg.get("tls")
        self.server_name = str((self.tls_cfg or {}).get("server_name", ""))
        self.ssl: ssl.SSLContext | None = _tls_context(self.tls_cfg) if self.tls_cfg is not None else None
        self._sessions: dict[tuple[str, bool], aiohttp.ClientSession] = {}

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "HTTPTransport":
        return cls(cfg)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl is not None else "http"

    def session(self, unix_path: str = "", expect_continue: bool = False) -> aiohttp.ClientSession:
        """The pooled session for an upstream socket; requests with `Expect: 100-continue`
        get a second session on the same connection pool (see upstream_io.response_class)."""
        key = (unix_path, expect_continue)
        s = self._sessions.get(key)
        if s is None or s.closed:
            if expect_continue:
                conn = self.session(unix_path).connector
                assert conn is not None
                s = self._new_session(conn, owner=False, expect_continue=True)
            else:
                s = self._new_session(self._connector(unix_path), owner=True, expect_continue=False)
            self._sessions[key] = s
        return s

    def _connector(self, unix_path: str) -> aiohttp.BaseConnector:
        common: dict[str, Any] = dict(
            limit=0, limit_per_host=self.max_conns_per_host,
            force_close=not self.keepalive,
        )
        if self.keepalive:
            common["keepalive_timeout"] = self.idle_timeout
        if unix_path:
            ucls = idle_limited(aiohttp.UnixConnector, self.max_idle_per_host, self.max_idle)
            return ucls(path=unix_path, **common)
        tcls = idle_limited(aiohttp.TCPConnector, self.max_idle_per_host, self.max_idle)
        return tcls(ssl=self.ssl if self.ssl is not None else False, use_dns_cache=False, **common)

    def _new_session(self, conn: aiohttp.BaseConnector, owner: bool, expect_continue: bool) -> aiohttp.ClientSession:
        extra: dict[str, Any] = {}
        if expect_continue:
            extra["request_class"] = continue_request_class(self.expect_continue_timeout)
        return aiohttp.ClientSession(
            connector=conn, connector_owner=owner, auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            response_class=response_class(self.response_header_timeout, expect_continue),
            timeout=self.client_timeout(), skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept",
                                                               "Content-Type"), **extra)

    def client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=None, connect=None, sock_connect=self.dial_timeout or None,
                                     sock_read=self.read_timeout or None)

    async def round_trip(self, req: "Request", di: DialInfo, method: str, target: str,
                         hdrs: CIMultiDict[str], body: Any, upgrade: str = "") -> UpstreamResponse:
        """Caddy's Transport.RoundTrip: an Upgrade goes over a raw connection (to be piped
        after a 101), everything else through the pooled aiohttp session."""
        if upgrade:
            return await self._send_upgrade(di, method, target, hdrs)
        # 1xx answers (103 Early Hints) go on to the client as they come, as in Caddy
        hints = INFORMATIONAL.set(partial(write_informational, req.raw) if req is not None else None)
        try:
            return await self._send_http(di, method, target, hdrs, body)
        finally:
            INFORMATIONAL.reset(hints)

    def url(self, di: DialInfo, target: str) -> str:
        scheme = self.scheme
        if di.unix_path:
            return f"{scheme}://localhost{target}"
        host = f"[{di.host}]" if ":" in di.host else di.connect_host
        default = (scheme == "http" and di.port == "80") or (scheme == "https" and di.port == "443")
        return f"{scheme}://{host}{'' if default else ':' + di.port}{target}"

    async def _send_http(self, di: DialInfo, method: str, target: str, hdrs: CIMultiDict[str],
                    body: Any) -> UpstreamResponse:
        t = self
        decompress = False
        if (t.compression and "Accept-Encoding" not in hdrs and "Range" not in hdrs
                and method != "HEAD"):
            hdrs["Accept-Encoding"] = "gzip"
            decompress = True
        _go_user_agent(hdrs)
        if callable(body):
            data: Any = RequestBody(body(), t.write_timeout)
        elif body is not None and t.write_timeout > 0:
            data = RequestBody(once(body), t.write_timeout)
        else:
            data = body
        if not t.keepalive:
            hdrs["Connection"] = "close"  # Go's transport with keep-alives disabled says so
        kwargs: dict[str, Any] = {}
        if t.server_name:
            kwargs["server_hostname"] = t.server_name
        try:
            expect = hdrs.get("Expect", "").lower() == "100-continue"
            r = await t.session(di.unix_path, expect).request(
                method, yarl_url(self.url(di, target)), headers=hdrs, data=data,
                allow_redirects=False, auto_decompress=decompress, **kwargs)
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as e:
            if _body_too_large(e):
                raise BodyTooLarge() from e
            raise classify(e, connecting=_is_connect_error(e), address=di.address) from e
        headers = CIMultiDict(r.headers)
        if decompress and headers.get("Content-Encoding", "").lower() == "gzip":
            headers.popall("Content-Encoding", None)
            headers.popall("Content-Length", None)

        v = r.version
        return UpstreamResponse(r.status, r.reason or "", f"{v.major}.{v.minor}" if v else "1.1",
                                headers, r.content.iter_any(), r.release)

    async def _send_upgrade(self, di: DialInfo, method: str, target: str,
                        hdrs: CIMultiDict[str]) -> UpstreamResponse:
        t = self
        _go_user_agent(hdrs)
        hdrs.popall("Content-Length", None)
        try:
            reader, writer = await open_raw(di.connect_host, int(di.port or 0), di.unix_path, t.ssl,
                                            t.server_name, t.dial_timeout)
        except (OSError, asyncio.TimeoutError) as e:
            raise classify(e, connecting=True, address=di.address) from e
        try:
            async with asyncio.timeout(t.response_header_timeout or None):
                raw = await roundtrip_raw(reader, writer, method, target, hdrs)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ValueError) as e:
            writer.close()
            raise classify(e, connecting=False) from e
        return UpstreamResponse(raw.status, raw.reason, raw.version, raw.headers,
                                raw.body_chunks(), raw.close, raw)

    async def cleanup(self) -> None:
        for s in self._sessions.values():
            await s.close()
        self._sessions.clear()


def _go_user_agent(hdrs: CIMultiDict[str]) -> None:
    """Go's transport: an empty User-Agent is not sent; a missing one (deleted by header
    ops) gets Go's default."""
    ua = hdrs.get("User-Agent")
    if ua is None:
        hdrs["User-Agent"] = "Go-http-client/1.1"
    elif ua == "":
        del hdrs["User-Agent"]


def yarl_url(url: str) -> Any:
    from yarl import URL

    return URL(url, encoded=True)


def _is_connect_error(e: BaseException) -> bool:
    return isinstance(e, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError))


def _body_too_large(e: BaseException) -> bool:
    cur: BaseException | None = e
    while cur is not None:
        if isinstance(cur, BodyTooLarge):
            return True
        cur = cur.__cause__ or cur.__context__
    return False
