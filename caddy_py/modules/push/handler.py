"""`http.handlers.push`: HTTP/2 server push (Caddy's push.Handler).

caddy-py serves HTTP/1.1 only, where a response cannot carry pushed resources: Caddy's handler
then finds no working pusher and only calls the next handler (no header, log line or var is
visible to the client; checked against caddy 2.11.7). So at runtime this is a pass-through; the
config is still checked as Caddy provisions it (resources and header operations).
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.reverse_proxy.header_ops import HeaderOps


@register("http.handlers.push")
class Push:
    def __init__(self, resources: list[dict[str, str]], headers: HeaderOps | None) -> None:
        self.resources = resources
        self.headers = headers  # what pushed requests would carry (none on HTTP/1.1)

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Push":
        cfg = cfg or {}
        resources = []
        for r in cfg.get("resources") or []:
            if not isinstance(r, dict):
                raise ConfigError("push: a resource must be an object with method and target")
            resources.append({"method": str(r.get("method", "")), "target": str(r.get("target", ""))})
        try:
            headers = HeaderOps.from_json(cfg.get("headers"))
        except Exception as e:  # noqa: BLE001 - a bad regexp in a replacement
            raise ConfigError(f"provisioning header operations: {e}") from None
        return cls(resources, headers)

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        return await next(req)
