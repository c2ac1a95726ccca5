"""`http.handlers.acme_server`: an ACME (RFC 8555) CA endpoint issuing from a `pki` CA (Caddy's
acmeserver.Handler, which runs smallstep's ACME API).

Requests under `path_prefix` (default `/acme/`) are the ACME API of provisioner `<ca>`:
`/acme/local/directory`, `new-nonce`, `new-account`, `new-order`, `authz/ID`,
`challenge/AUTHZ/ID`, `order/ID/finalize`, `certificate/ID`, ... Links are absolute `https://`
URLs on `host` (else the request's Host), as smallstep's. Other requests go to the next handler.
The endpoints live in endpoints.py; state is in memory (state.py).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from aiohttp import web

from caddy_py.config.context import ConfigError
from caddy_py.config.durations import duration_seconds
from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.acme_server.endpoints import ACMEAPI
from caddy_py.modules.acme_server.policy import Policy
from caddy_py.modules.acme_server.state import store_for
from caddy_py.modules.acme_server.txt import resolver_addresses
from caddy_py.tls.automation import local_ca
from caddy_py.tls.localca import INTERMEDIATE_LIFETIME
from caddy_py.tls.storage import FileStorage

LOG = logging.getLogger("http.handlers.acme_server")
CHALLENGE_TYPES = ("http-01", "dns-01", "tls-alpn-01")
JSON_FIELDS = frozenset({"ca", "lifetime", "host", "path_prefix", "sign_with_root", "resolvers",
                         "challenges", "policy"})


@register("http.handlers.acme_server")
class ACMEServer:
    JSON_FIELDS = JSON_FIELDS

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.ca_id = str(cfg.get("ca") or "local")
        self.lifetime = duration_seconds(cfg.get("lifetime")) or 12 * 3600.0
        self.host = str(cfg.get("host") or "")
        self.path_prefix = str(cfg.get("path_prefix") or "/acme/")
        self.sign_with_root = bool(cfg.get("sign_with_root"))
        self.resolvers = [str(r) for r in cfg.get("resolvers") or []]
        challenges = [str(c).strip().lower() for c in cfg.get("challenges") or []]
        for c in challenges:
            if c not in CHALLENGE_TYPES:
                raise ConfigError(f'acme challenge "{c}" is not supported')
        self.challenges = challenges or list(CHALLENGE_TYPES)
        self.policy = Policy(cfg.get("policy"))
        self.api: ACMEAPI | None = None

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "ACMEServer":
        return cls(cfg or {})

    def provision(self, ctx: Any) -> None:
        if self.policy.unrestricted():
            LOG.warning("acme_server policy has no allow/deny rules; order identifiers are unrestricted "
                        "(allow-all)", extra={"caddy_fields": {
                            "ca": self.ca_id, "allow_wildcard_names": self.policy.allow_wildcards}})
        config = getattr(ctx, "config", None) or {}
        apps = config.get("apps") or {}
        pki = (apps.get("pki") or {}).get("certificate_authorities") or {}
        ca_cfg = pki.get(self.ca_id)
        if ca_cfg is None and self.ca_id != "local":
            raise ConfigError(f"no certificate authority configured with id: {self.ca_id}")
        inter_life = duration_seconds((ca_cfg or {}).get("intermediate_lifetime")) or \
            INTERMEDIATE_LIFETIME.total_seconds()
        if not (ca_cfg or {}).get("intermediate") and self.lifetime >= inter_life:
            raise ConfigError(f"certificate lifetime ({_go_duration(self.lifetime)}) should be less than "
                              f"intermediate certificate lifetime ({_go_duration(inter_life)})")
        resolvers = self.resolvers or [str(r) for r in (apps.get("tls") or {}).get("resolvers") or []]
        try:
            servers = resolver_addresses(resolvers)
        except ValueError as e:
            raise ConfigError(str(e)) from None
        storage = FileStorage.from_config(config)
        ca = local_ca(storage, self.ca_id, ca_cfg or {})
        self.api = ACMEAPI(ca, store_for(storage.root, self.ca_id), self.ca_id, self.challenges, self.policy,
                           dt.timedelta(seconds=self.lifetime), self.sign_with_root, servers)

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        path = req.decoded_path
        if not path.startswith(self.path_prefix) or self.api is None:
            return await next(req)
        rest = path[len(self.path_prefix):].strip("/").split("/")
        if len(rest) < 2:
            return web.Response(status=404, text="404 page not found\n",
                                headers={"X-Content-Type-Options": "nosniff"})
        if rest[0] != self.ca_id:
            body = {"type": "notFound", "detail": "resource not found", "message": f"provisioner {rest[0]} not found"}
            return web.Response(status=404, headers={"Content-Type": "application/json"},
                                body=json.dumps(body, separators=(",", ":")).encode() + b"\n")
        host = self.host or req.host
        base = f"https://{host}/{self.path_prefix.strip('/')}/{self.ca_id}" if self.path_prefix.strip("/") \
            else f"https://{host}/{self.ca_id}"
        return await self.api.dispatch(req, base, rest[1:])


def _go_duration(seconds: float) -> str:
    from caddy_py.httpcaddyfile.gotime import format_duration

    return format_duration(int(seconds * 1e9))
