"""Managed certificates: obtained from an issuer, kept in storage and in a process-wide cache
(so reloads and restarts reuse them), renewed in the background.

Only the internal issuer (the local CA) issues here; names whose policy uses ACME are reported
on `tls.obtain` and retried with backoff, never failing the config or a listener.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from typing import Any

from caddy_py.config.durations import duration_seconds
from caddy_py.tls.certs import CertError, Certificate, CertIndex, match_wildcard, normalized_name, parse_pair
from caddy_py.tls.localca import LEAF_LIFETIME, LocalCA
from caddy_py.tls.storage import FileStorage

LOG = logging.getLogger("tls")
OBTAIN_LOG = logging.getLogger("tls.obtain")
RENEW_LOG = logging.getLogger("tls.renew")
# process-wide: certificates survive config reloads (Caddy's certificate cache)
MANAGED = CertIndex()
CAS: dict[tuple[str, str], LocalCA] = {}
RETRY_BACKOFF = (60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0)


class IssuerUnsupported(Exception):
    pass


def local_ca(storage: FileStorage, ca_id: str = "local", cfg: dict[str, Any] | None = None) -> LocalCA:
    key = (storage.root, ca_id)
    ca = CAS.get(key)
    if ca is None:
        ca = CAS[key] = LocalCA(storage, ca_id, cfg).load_or_create()
    return ca


class Policy:
    """One automation policy: the subjects it covers and its first usable issuer."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.subjects = [normalized_name(s) for s in cfg.get("subjects") or []]
        self.issuers = list(cfg.get("issuers") or [])
        self.on_demand = bool(cfg.get("on_demand"))

    def covers(self, name: str) -> bool:
        return not self.subjects or any(match_wildcard(name, s) for s in self.subjects)


class Manager:
    def __init__(self, storage: FileStorage, policies: list[Policy], pki_cfg: dict[str, Any]) -> None:
        self.storage = storage
        self.policies = policies
        self.pki_cfg = pki_cfg
        self.names: dict[str, bool] = {}  # name → use the internal issuer when no policy covers it
        self.obtaining: dict[str, asyncio.Task[Certificate | None]] = {}
        self.failures: dict[str, int] = {}

    def policy_for(self, name: str) -> Policy | None:
        return next((p for p in self.policies if p.covers(name)), None)

    def issuer_for(self, name: str) -> dict[str, Any]:
        p = self.policy_for(name)
        if p is not None and p.issuers:
            return p.issuers[0]
        if self.names.get(name, False):
            return {"module": "internal"}
        return {"module": "acme"}

    def ca_for(self, issuer: dict[str, Any]) -> LocalCA:
        ca_id = issuer.get("ca") or "local"
        cas = (self.pki_cfg.get("certificate_authorities") or {})
        return local_ca(self.storage, ca_id, cas.get(ca_id))

    # -- obtaining ---------------------------------------------------------------------------
    def manage(self, names: dict[str, bool]) -> None:
        for n, internal in names.items():
            self.names[normalized_name(n)] = internal

    def start_all(self) -> None:
        """Set up the local CAs now (as Caddy's pki app does at provisioning: the root is in
        storage once the config runs), then obtain in the background."""
        issuers = [i for p in self.policies for i in p.issuers] + [self.issuer_for(n) for n in self.names]
        for issuer in issuers:
            if issuer.get("module") == "internal":
                self.ca_for(issuer)
        for n in self.names:
            self.ensure(n)

    def ensure(self, name: str) -> "asyncio.Task[Certificate | None] | None":
        """Start obtaining `name` unless a valid certificate is cached or on the way."""
        have = [c for c in MANAGED.candidates(name) if c.managed]
        if have and not have[-1].needs_renewal():
            return None
        task = self.obtaining.get(name)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._obtain(name, renewing=bool(have)))
            self.obtaining[name] = task
        return task

    def issuers_for(self, name: str) -> list[dict[str, Any]]:
        p = self.policy_for(name)
        return list(p.issuers) if p is not None and p.issuers else [self.issuer_for(name)]

    async def _obtain(self, name: str, renewing: bool, now: dt.datetime | None = None) -> Certificate | None:
        """Obtain (or renew) `name` from the policy's issuers, each tried in order as Caddy does;
        on failure retry later with backoff."""
        log = RENEW_LOG if renewing else OBTAIN_LOG
        errors = []
        for issuer in self.issuers_for(name):
            try:
                cert = await self._obtain_from(issuer, name, renewing, now)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # noqa: BLE001 - next issuer, then retried later; serving goes on
                errors.append(f"{issuer.get('module', '')}: {e}")
                log.error("could not get certificate from issuer", extra={"caddy_fields": {
                    "identifier": name, "issuer": issuer.get("module", ""), "error": str(e)}})
                continue
            self.failures.pop(name, None)
            return cert
        n = self.failures[name] = self.failures.get(name, 0) + 1
        wait = RETRY_BACKOFF[min(n - 1, len(RETRY_BACKOFF) - 1)]
        log.error("will retry", extra={"caddy_fields": {"identifier": name, "error": "; ".join(errors),
                                                         "attempt": n, "retrying_in": wait}})
        asyncio.get_running_loop().call_later(wait * (0.9 + random.random() * 0.2), self._retry, name)
        return None

    async def _obtain_from(self, issuer: dict[str, Any], name: str, renewing: bool,
                           now: dt.datetime | None) -> Certificate:
        log = RENEW_LOG if renewing else OBTAIN_LOG
        key, issue = self._issuing(issuer, name)
        cert = self._from_storage(key, name)
        if cert is None or cert.needs_renewal(now):
            log.info("obtaining certificate" if not renewing else "renewing certificate",
                     extra={"caddy_fields": {"identifier": name}})
            if issuer.get("module") == "acme":
                from caddy_py.tls.solver import HTTPChallengeSolver

                async with HTTPChallengeSolver(issuer):
                    cert = await asyncio.get_running_loop().run_in_executor(None, issue)
            else:
                cert = await asyncio.get_running_loop().run_in_executor(None, issue)
            self.storage.save_cert(key, name, cert.chain_pem, cert.key_pem, {"sans": [name], "issuer_data": None})
            log.info("certificate obtained successfully" if not renewing else "certificate renewed successfully",
                     extra={"caddy_fields": {"identifier": name, "issuer": key}})
        cert.managed, cert.issuer_key = True, key
        MANAGED.add(cert)
        MANAGED.remove_name(name, keep=cert)
        return cert

    def _issuing(self, issuer: dict[str, Any], name: str) -> tuple[str, Any]:
        """(storage key of the issuer, blocking function issuing a certificate for `name`)."""
        module = issuer.get("module", "")
        if module == "internal":
            ca = self.ca_for(issuer)
            lifetime = dt.timedelta(seconds=duration_seconds(issuer.get("lifetime"), 0.0)) \
                if issuer.get("lifetime") else LEAF_LIFETIME
            return ca.id, lambda: ca.issue([name], lifetime)
        if module == "acme":
            from caddy_py.tls.acme_issuer import ACMEIssuer

            acme = ACMEIssuer(issuer, self.storage)
            return acme.key_id, lambda: parse_pair(*acme.obtain(name))
        raise IssuerUnsupported(f"issuer '{module}' is not supported by caddy-py (internal and acme are)")

    def _retry(self, name: str) -> None:
        if name in self.names and name in self.failures:
            self.ensure(name)

    def _from_storage(self, issuer_key: str, name: str) -> Certificate | None:
        pair = self.storage.load_cert(issuer_key, name)
        if pair is None:
            return None
        try:
            return parse_pair(*pair)
        except CertError as e:
            LOG.warning("stored certificate unusable; obtaining a new one", extra={"caddy_fields": {
                "identifier": name, "error": str(e)}})
            return None

    def load_stored(self) -> None:
        """Warm the cache from storage for names we manage (a restart reuses certificates)."""
        for name in self.names:
            if MANAGED.candidates(name):
                continue
            for issuer in self.issuers_for(name):
                try:
                    key = self._issuing(issuer, name)[0]
                except IssuerUnsupported:
                    continue
                cert = self._from_storage(key, name)
                if cert is not None and not cert.needs_renewal():
                    cert.managed, cert.issuer_key = True, key
                    MANAGED.add(cert)
                    break

    # -- renewal -----------------------------------------------------------------------------
    def renew_due(self, now: dt.datetime | None = None) -> list[str]:
        """Start renewing every managed name whose certificate is in its renewal window."""
        due = []
        for name in self.names:
            have = [c for c in MANAGED.candidates(name) if c.managed]
            if not have or have[-1].needs_renewal(now):
                due.append(name)
                task = self.obtaining.get(name)
                if task is None or task.done():
                    self.obtaining[name] = asyncio.get_running_loop().create_task(
                        self._obtain(name, renewing=bool(have), now=now))
        return due

    async def renew_loop(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                self.renew_due()
                for ca in list(CAS.values()):
                    ca.renew_intermediate_if_due()
            except Exception as e:  # noqa: BLE001
                RENEW_LOG.error("renewal check failed: %s", e)
