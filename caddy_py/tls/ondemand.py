"""On-demand TLS: a certificate obtained during the first handshake for a name, once the
permission module (`http`: the `ask` endpoint answering 2xx to `?domain=NAME`) allows it."""
from __future__ import annotations

import logging
import urllib.parse
from typing import Any

import aiohttp

from caddy_py.config.context import ConfigError

LOG = logging.getLogger("tls.on_demand")
ASK_TIMEOUT = 10.0
NO_PERMISSION = ("on-demand TLS cannot be enabled without a permission module to prevent abuse; "
                 "please refer to documentation for details")


class Permission:
    def __init__(self, cfg: dict[str, Any] | None) -> None:
        cfg = cfg or {}
        perm = cfg.get("permission") or {}
        if perm and perm.get("module") != "http":
            raise ConfigError(f"on-demand permission module '{perm.get('module')}' is not supported (only http)")
        self.endpoint: str = perm.get("endpoint") or cfg.get("ask") or ""

    @property
    def configured(self) -> bool:
        return bool(self.endpoint)

    async def allowed(self, name: str) -> bool:
        if not self.endpoint:
            return False
        u = urllib.parse.urlsplit(self.endpoint)
        query = urllib.parse.parse_qsl(u.query, keep_blank_values=True) + [("domain", name)]
        url = urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(query)))
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ASK_TIMEOUT)) as s:
                async with s.get(url, allow_redirects=False) as resp:
                    ok = 200 <= resp.status <= 299
                    if not ok:
                        LOG.debug("on-demand certificate issuance denied", extra={"caddy_fields": {
                            "domain": name, "status": resp.status}})
                    return ok
        except (aiohttp.ClientError, TimeoutError, OSError) as e:
            LOG.error("failed to get permission for on-demand certificate", extra={"caddy_fields": {
                "domain": name, "error": f"checking {self.endpoint} to determine if certificate for "
                                          f"hostname '{name}' should be allowed: {e}"}})
            return False
