"""The `tls` app (certificates, automation, trust for client auth) and the `pki` app (local CAs),
plus ServerTLS: one http server's connection policies choosing a context per ClientHello."""
from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

from caddy_py.config.context import ConfigError, Context
from caddy_py.config.durations import duration_seconds
from caddy_py.config.registry import register
from caddy_py.tls import certs as certload
from caddy_py.tls.automation import MANAGED, Manager, Policy, local_ca
from caddy_py.tls.certs import Certificate, CertIndex, normalized_name
from caddy_py.tls.challenges import ACME_TLS_ALPN, TLSALPN_CERTS
from caddy_py.tls.clienthello import ClientHello
from caddy_py.tls.handshake import TLSAcceptor
from caddy_py.tls.ondemand import NO_PERMISSION, Permission
from caddy_py.tls.policies import ConnectionPolicy
from caddy_py.tls.storage import FileStorage

LOG = logging.getLogger("tls")
HANDSHAKE_LOG = logging.getLogger("http.stdlib")
OBTAIN_WAIT = 30.0


@register("pki")
class PKIApp:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg

    @classmethod
    def from_json(cls, cfg: Any, ctx: Context) -> "PKIApp":
        return cls(cfg or {})

    def provision(self, ctx: Context) -> None:
        storage = FileStorage.from_config(ctx.config)
        for ca_id, ca_cfg in (self.cfg.get("certificate_authorities") or {}).items():
            local_ca(storage, ca_id, ca_cfg or {})


@register("tls")
class TLSApp:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.index = CertIndex()
        self.manager: Manager | None = None
        self.storage: FileStorage | None = None
        self.renewer: asyncio.Task[None] | None = None
        self.failed_tags: dict[str, str] = {}  # certificate tag → why it did not load

    @classmethod
    def from_json(cls, cfg: Any, ctx: Context) -> "TLSApp":
        return cls(cfg or {})

    def provision(self, ctx: Context) -> None:
        self.storage = FileStorage.from_config(ctx.config)
        c = self.cfg.get("certificates") or {}
        loaded: list[Certificate] = []
        for loader, arg in ((certload.load_files, c.get("load_files")), (certload.load_pem, c.get("load_pem")),
                            (certload.load_folders, c.get("load_folders"))):
            certs, errors = loader(arg or [])
            loaded += certs
            for msg, tags in errors:  # the rest of the config keeps serving
                LOG.error("loading certificate: %s", msg)
                for t in tags:
                    self.failed_tags[t] = msg
        for cert in loaded:
            self.index.add(cert)
        auto = self.cfg.get("automation") or {}
        policies = [Policy(p or {}) for p in auto.get("policies") or []]
        pki = (ctx.config.get("apps") or {}).get("pki") or {}
        self.manager = Manager(self.storage, policies, pki)
        self.renew_interval = duration_seconds(auto.get("renew_interval"), 600.0) or 600.0
        self.permission = Permission(auto.get("on_demand"))
        for p in policies:
            internal_only = bool(p.issuers) and all(i.get("module") == "internal" for i in p.issuers)
            wildcard_or_default = not p.subjects or any(s.startswith("*") for s in p.subjects)
            if p.on_demand and wildcard_or_default and not internal_only and not self.permission.configured:
                raise ConfigError(NO_PERMISSION)
        self.manager.manage({n: False for n in c.get("automate") or []})

    # -- used by the http app (automatic HTTPS) ------------------------------------------------
    def has_certificate_for(self, name: str) -> bool:
        return self.index.has(name)

    def has_policy_for(self, name: str) -> bool:
        assert self.manager is not None
        return any(p.subjects and p.covers(normalized_name(name)) for p in self.manager.policies)

    def manage(self, names: dict[str, bool]) -> None:
        """Names to keep certificates for; True = the internal issuer when no policy says."""
        assert self.manager is not None
        self.manager.manage(names)

    def pki_roots(self, spec: str) -> bytes:
        """DER of a local CA's root or intermediate, for client-auth trust pools."""
        assert self.storage is not None
        kind, _, ca_id = spec.partition(":")
        ca = local_ca(self.storage, ca_id or "local")
        from cryptography.hazmat.primitives.serialization import Encoding

        cert = ca.root if kind == "pki_root" else ca.inter
        assert cert is not None
        return cert.public_bytes(Encoding.DER)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        assert self.manager is not None
        self.manager.load_stored()
        self.manager.start_all()
        self.renewer = asyncio.get_running_loop().create_task(self.manager.renew_loop(self.renew_interval))

    async def stop(self) -> None:
        if self.renewer is not None:
            self.renewer.cancel()
        if self.manager is not None:
            for t in self.manager.obtaining.values():
                t.cancel()
            self.manager.names.clear()

    # -- certificate selection ---------------------------------------------------------------
    def _select(self, name: str, policy: ConnectionPolicy) -> Certificate | None:
        if not name:
            return None
        for c in self.index.candidates(name) + [c for c in MANAGED.candidates(name) if c.managed]:
            if policy.selects(c):
                return c
        return None

    def _lookup(self, name: str, policy: ConnectionPolicy, local_ip: str) -> Certificate | None:
        """certmagic's order: exact name, then wildcards label by label; without SNI the local
        IP and the default name; finally the fallback name."""
        if not name:
            cert = self._select(normalized_name(local_ip), policy) or self._select(policy.default_sni, policy)
        else:
            cert = self._select(name, policy)
            labels = name.split(".")
            for i in range(len(labels)):
                if cert is not None:
                    break
                labels[i] = "*"
                cert = self._select(".".join(labels), policy)
        return cert or self._select(policy.fallback_sni, policy)

    async def certificate(self, name: str, policy: ConnectionPolicy, local_ip: str) -> Certificate | None:
        cert = self._lookup(name, policy, local_ip)
        if self.manager is None:
            return cert
        target = name or normalized_name(local_ip)
        stale = cert is None or (cert.managed and cert.needs_renewal())
        if stale and name and target not in self.manager.names:
            p = self.manager.policy_for(target)
            if p is not None and p.on_demand and await self.permission.allowed(target):
                self.manager.manage({target: True})
        if target in self.manager.names and (cert is None or (cert.managed and cert.needs_renewal())):
            task = self.manager.ensure(target)
            if task is not None and cert is None:
                try:
                    await asyncio.wait_for(asyncio.shield(task), OBTAIN_WAIT)
                except (asyncio.TimeoutError, Exception):  # noqa: BLE001
                    pass
                cert = self._lookup(name, policy, local_ip)
        return cert


class ServerTLS:
    """TLS for one http server: its connection policies and the tls app's certificates."""

    def __init__(self, server_name: str, policies: list[dict[str, Any]], app: TLSApp) -> None:
        self.server_name = server_name
        self.app = app
        try:
            self.policies = [ConnectionPolicy(p or {}, app.pki_roots) for p in policies]
        except ConfigError as e:
            raise ConfigError(f"server {server_name}: setting up TLS connection policies: {e}") from None
        for p in policies:  # name the site whose certificate (selected by tag) did not load
            sel = (p or {}).get("certificate_selection") or {}
            for tag in (sel.get("any_tag") or []) + (sel.get("all_tags") or []):
                if tag in app.failed_tags:
                    sites = ", ".join(((p or {}).get("match") or {}).get("sni") or ["(any)"])
                    LOG.error("server %s: site %s has no certificate: %s", server_name, sites, app.failed_tags[tag])

    def wrap(self, app_factory: Any) -> Any:
        return lambda: TLSAcceptor(self, app_factory)

    def policy_for(self, hello: ClientHello, remote_ip: str, local_ip: str) -> ConnectionPolicy | None:
        return next((p for p in self.policies if p.matches(hello.server_name, remote_ip, local_ip)), None)

    async def context_for(self, hello: ClientHello, remote_ip: str,
                          local_ip: str) -> tuple[ssl.SSLContext, ConnectionPolicy] | None:
        policy = self.policy_for(hello, remote_ip, local_ip)
        if policy is None:
            HANDSHAKE_LOG.debug("http: TLS handshake error from %s: no server TLS configuration available "
                                "for ClientHello", remote_ip)
            return None
        if policy.drop:
            return None
        if hello.alpn == [ACME_TLS_ALPN]:  # a CA validating TLS-ALPN-01
            challenge = TLSALPN_CERTS.get(hello.server_name)
            if challenge is not None:
                return policy.context(challenge, (ACME_TLS_ALPN,)), policy
        cert = await self.app.certificate(hello.server_name, policy, local_ip)
        if cert is None:
            HANDSHAKE_LOG.debug("http: TLS handshake error from %s: no certificate available for '%s'",
                                remote_ip, hello.server_name)
            return None
        return policy.context(cert), policy

    @staticmethod
    def after_handshake(policy: ConnectionPolicy, transport: asyncio.BaseTransport) -> bool:
        """Pinned client leaves (`trusted_leaf_certs`) are checked once the handshake is done."""
        ca = policy.client_auth
        if ca is None or not ca.leaves:
            return True
        obj = transport.get_extra_info("ssl_object")
        return ca.leaf_allowed(obj.getpeercert(binary_form=True) if obj is not None else None)


async def tls_app(ctx: Context) -> TLSApp:
    """The config's tls app, loading it now (with an empty config if absent) when another app
    needs it first, as Caddy's ctx.App("tls") does."""
    app = ctx.app("tls")
    if app is None:
        cfg = (ctx.config.get("apps") or {}).get("tls") or {}
        app = await ctx.load_by_id("tls", cfg)
        ctx.apps["tls"] = app
    return app
