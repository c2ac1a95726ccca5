"""A temporary HTTP-01 listener, as certmagic starts one, for when no http server of ours listens
on the challenge port (e.g. `auto_https disable_redirects` with no http:// site): it answers the
pending tokens and nothing else, and closes when the issuance is over."""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from caddy_py.tls.challenges import http_answer

LOG = logging.getLogger("tls.issuance.acme")


def _port_in_use_by_us(port: int) -> bool:
    from caddy_py.http.listeners import LISTENERS

    for _key, lst in LISTENERS.items():
        addr = getattr(lst, "addr", None)
        if addr is not None and not addr.network.startswith("unix") and addr.start_port == port \
                and getattr(lst, "factory", None) is not None:
            return True
    return False


class HTTPChallengeSolver:
    def __init__(self, issuer: dict[str, Any]) -> None:
        ch = issuer.get("challenges") or {}
        self.port = int((ch.get("http") or {}).get("alternate_port") or 80)
        self.host = ch.get("bind_host") or None
        self.disabled = bool((ch.get("http") or {}).get("disabled"))
        self.runner: web.AppRunner | None = None

    async def __aenter__(self) -> "HTTPChallengeSolver":
        if self.disabled or _port_in_use_by_us(self.port):
            return self

        async def answer(request: web.Request) -> web.StreamResponse:
            body = http_answer(request.path)
            if body is None:
                return web.Response(status=404)
            return web.Response(body=body, content_type="text/plain")

        app = web.Application()
        app.router.add_get("/.well-known/acme-challenge/{token}", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port, reuse_address=True).start()
        except OSError as e:
            LOG.warning("cannot start HTTP-01 challenge listener; another challenge type may still work",
                        extra={"caddy_fields": {"port": self.port, "error": str(e)}})
            await runner.cleanup()
            return self
        self.runner = runner
        return self

    async def __aexit__(self, *exc: Any) -> None:
        if self.runner is not None:
            await asyncio.shield(self.runner.cleanup())
