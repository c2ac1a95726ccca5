"""http.handlers.static_response (the `respond` directive): a fixed status, headers and body."""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError, Next
from caddy_py.http.request import Request


def canonical_key(key: str) -> str:
    """Go's CanonicalMIMEHeaderKey for the usual ASCII token names."""
    if not key or any(c in key for c in " \t\r\n:"):
        return key
    return "-".join(p[:1].upper() + p[1:].lower() for p in key.split("-"))


def looks_like_json(body: str) -> bool:
    content = body.strip()
    if len(content) <= 2 or not ((content[0] == "{" and content[-1] == "}") or (content[0] == "[" and content[-1] == "]")):
        return False
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


@register("http.handlers.static_response")
class StaticResponse:
    JSON_FIELDS = frozenset(("status_code", "headers", "body", "close", "abort"))

    def __init__(self, cfg: dict[str, Any]) -> None:
        code = cfg.get("status_code")
        self.status: str = "" if code in (None, "", 0) else str(code)
        self.static_status = int(self.status) if self.status.isdigit() else None
        hdrs = cfg.get("headers") or {}
        if not isinstance(hdrs, dict):
            raise ConfigError("headers must be an object")
        self.headers = [(k, list(v or [])) for k, v in hdrs.items()]
        self.body: str = cfg.get("body", "") or ""
        self.close = bool(cfg.get("close"))
        self.abort = bool(cfg.get("abort"))
        # the common case (no placeholders anywhere) is answered with precomputed values
        self.static_body = None if "{" in self.body or "}" in self.body else self.body
        self.static_ctype = None
        self.static_bytes = (self.static_body or "").encode()
        # everything known at load time (the usual `respond "text" 200`): one precomputed answer
        st = self.static_status
        self.fast = ((st is not None or not self.status) and st != 103 and not self.headers
                     and not self.close and not self.abort and self.static_body is not None)
        self.fast_body = (self.static_bytes if self.static_bytes and st not in (204, 304)
                          and not (st is not None and 100 <= st < 200) else None)
        if self.static_body:
            self.static_ctype = "application/json" if looks_like_json(self.body) else "text/plain; charset=utf-8"

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "StaticResponse":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        if self.fast:
            status = self.static_status
            body = self.fast_body
            if status is None:  # no status given: 200, or the error's while handling one
                err = req.error
                status = err.status if err is not None and getattr(err, "status", 0) > 0 else 200
                if status in (204, 304) or status < 200:
                    body = None
            resp = web.Response(status=status, body=body)
            if self.static_ctype:
                resp.headers["Content-Type"] = self.static_ctype
            return resp
        if self.abort:
            tr = req.raw.transport
            if tr is not None:
                tr.abort()
            raise ConnectionResetError("aborted by static_response")
        repl = req.replacer
        resp = web.Response()
        h = resp.headers
        if self.close:
            h["Connection"] = "close"
            resp.force_close()
        for field, vals in self.headers:
            key = canonical_key(repl.replace_all(field, "") if "{" in field else field)
            h.popall(key, None)
            for v in vals:
                h.add(key, repl.replace_all(v, "") if "{" in v else v)
        body = self.static_body if self.static_body is not None else repl.replace_known(self.body, "")
        if body and "Content-Type" not in h:
            h["Content-Type"] = self.static_ctype if self.static_body is not None else (
                "application/json" if looks_like_json(body) else "text/plain; charset=utf-8")
        status = self.static_status
        if status is None:
            status = 200
            if req.error is not None and getattr(req.error, "status", 0) > 0:
                status = req.error.status
            if self.status:
                try:
                    status = int(repl.replace_all(self.status, ""))
                except ValueError as e:
                    raise HandlerError(500, str(e), cause=e) from None
        resp.set_status(status)
        if status == 103:
            return await next(req)
        if body and status not in (204, 304) and not 100 <= status < 200:
            resp.body = self.static_bytes if self.static_body is not None else body.encode()
        return resp
