"""`http.handlers.encode`: picks an encoding from Accept-Encoding (q-values, then the `prefer`
order) and compresses the response when it matches (`match`, default Caddy's text-like
Content-Type list) and is longer than `minimum_length` (default 512)."""
from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import CIMultiDict

from caddy_py.config.registry import lookup, register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.reverse_proxy.header_ops import ResponseMatcher

from . import encoders as _encoders  # noqa: F401  (registers http.encoders.*)
from .writer import EncodingWriter

DEFAULT_TYPES = [
    "application/atom+xml*", "application/eot*", "application/font*", "application/geo+json*",
    "application/graphql+json*", "application/graphql-response+json*", "application/javascript*",
    "application/json*", "application/ld+json*", "application/manifest+json*",
    "application/opentype*", "application/otf*", "application/rss+xml*", "application/truetype*",
    "application/ttf*", "application/vnd.api+json*", "application/vnd.ms-fontobject*",
    "application/wasm*", "application/x-httpd-cgi*", "application/x-javascript*",
    "application/x-opentype*", "application/x-otf*", "application/x-perl*",
    "application/x-protobuf*", "application/x-ttf*", "application/xhtml+xml*", "application/xml*",
    "font/ttf*", "font/otf*", "image/svg+xml*", "image/vnd.microsoft.icon*", "image/x-icon*",
    "multipart/bag*", "multipart/mixed*", "text/*",
]


def accepted_encodings(accept: str, websocket: bool, prefer: list[str]) -> list[str]:
    """Accept-Encoding values by descending q, ties broken by our preference order."""
    prefs: list[tuple[float, int, int, str]] = []
    for i, part in enumerate(accept.split(",")):
        name, _, params = part.partition(";")
        name = name.strip().lower()
        q = 1.0
        qs = params.split(";", 1)[0].strip()
        if len(qs) >= 2 and qs[:2].lower() == "q=":
            try:
                val = float(qs[2:])
                if 0 <= val <= 1:
                    q = val
            except ValueError:
                pass
        if q < 0.00001 or (websocket and name != "identity"):
            continue
        order = len(prefer) - prefer.index(name) if name in prefer else -1
        prefs.append((q, order, i, name))
    prefs.sort(key=lambda p: (-round(p[0], 5), -p[1], p[2]))
    return [p[3] for p in prefs]


@register("http.handlers.encode")
class Encode:
    def __init__(self, cfg: dict[str, Any], ctx: Any = None) -> None:
        self.encoders: dict[str, Any] = {}
        for name, ecfg in (cfg.get("encodings") or {}).items():
            cls = lookup(f"http.encoders.{name}")
            if cls is None:
                raise ValueError(f"loading encoder modules: unknown module: http.encoders.{name}")
            self.encoders[name] = cls.from_json(ecfg or {}, ctx)
        self.prefer: list[str] = list(cfg.get("prefer") or []) or [
            n for n in ("zstd", "br", "gzip") if n in self.encoders]
        self.min_length = int(cfg.get("minimum_length") or 0) or 512
        self.matcher = ResponseMatcher.from_json(cfg.get("match")) or ResponseMatcher(
            headers={"Content-Type": DEFAULT_TYPES})

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Encode":
        return cls(cfg, ctx)

    def _matches(self, status: int, headers: CIMultiDict[str]) -> bool:
        return self.matcher.match(status, headers)

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        writer: EncodingWriter | None = None
        if "no-transform" not in req.headers.get("Cache-Control", ""):
            ws = bool(req.headers.get("Sec-WebSocket-Key"))
            for name in accepted_encodings(req.headers.get("Accept-Encoding", ""), ws, self.prefer):
                enc = self.encoders.get(name)
                if enc is None:
                    continue
                writer = self._install(req, name, enc)
                inm = req.headers.get("If-None-Match", "")
                if inm and not inm.startswith("W/") and inm.endswith(f'-{name}"'):
                    req.headers["If-None-Match"] = inm.removesuffix(f'-{name}"') + '"'
                break
        try:
            return await next(req)
        except BaseException:
            if writer is not None:
                writer.disabled = True  # error pages are not encoded
            raise

    def _install(self, req: Request, name: str, enc: Any) -> EncodingWriter | None:
        raw = req.raw
        inner = getattr(raw, "_payload_writer", None)
        if inner is None:
            return None
        if isinstance(inner, EncodingWriter):
            return None  # an outer encode already handles this request
        writer = EncodingWriter(inner, name, enc.new, self.min_length, self._matches,
                                head=req.method == "HEAD", http11=raw.version >= (1, 1))
        raw._payload_writer = writer  # type: ignore[attr-defined]
        if raw.version < (1, 1):
            # no chunking on HTTP/1.0: an encoded body ends with the connection
            req.on_prepare.append(lambda resp: resp.force_close())
        return writer
