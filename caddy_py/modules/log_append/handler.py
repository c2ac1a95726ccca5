"""`http.handlers.log_append`: adds a field to this request's access log entry (Caddy's
LogAppend). The value is a lone placeholder (evaluated), the name of a request var, or literal
text; `{http.response.body}` / `_base64` capture a buffered response body, and
`{http.request.body}` / `_base64` (or `early`) evaluate before the rest of the chain runs."""
from __future__ import annotations

import base64
from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.logs.access import add_log_field

_REQ_BODY = ("{http.request.body}", "{http.request.body_base64}")
_RESP_BODY = ("{http.response.body}", "{http.response.body_base64}")


@register("http.handlers.log_append")
class LogAppend:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.key = str(cfg.get("key", ""))
        self.value = str(cfg.get("value", ""))
        self.early = bool(cfg.get("early"))

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "LogAppend":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        wants_body = self.value in _RESP_BODY
        if (self.early or self.value in _REQ_BODY) and not wants_body:
            self._add(req, None)
        resp = await next(req)
        if wants_body:
            body = getattr(resp, "body", None)
            if isinstance(body, (bytes, bytearray)):
                self._add(req, bytes(body))
        elif not self.early:
            self._add(req, None)
        return resp

    def _add(self, req: Request, body: bytes | None) -> None:
        v = self.value
        value: Any
        if v == "{http.response.body}":
            value = (body or b"").decode("utf-8", "replace")
        elif v == "{http.response.body_base64}":
            value = base64.b64encode(body or b"").decode()
        elif v.startswith("{") and v.endswith("}") and v.count("{") == 1:
            value, _ = req.replacer.get(v.strip("{}"))
        elif v in req.vars:
            value = req.vars[v]
        else:
            value = v
        add_log_field(req, self.key, value)
