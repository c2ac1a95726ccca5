"""ACME issuer templates (Caddy's tlsapp.go): merging local `tls` shortcuts over global
cert_issuer templates or the default issuers, and filling in the global ACME options."""
from __future__ import annotations

import copy
from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
from caddy_py.httpcaddyfile.tlsmodels import (
    ACMEIssuer,
    ChallengesConfig,
    DNSChallengeConfig,
    PortChallengeConfig,
    default_issuers,
)


def _merge_dns(base: DNSChallengeConfig | None, over: DNSChallengeConfig | None) -> DNSChallengeConfig | None:
    if base is None:
        return copy.deepcopy(over)
    merged = copy.deepcopy(base)
    if over is None:
        return merged
    if over.provider:
        merged.provider = copy.deepcopy(over.provider)
    for k in ("propagation_delay", "propagation_timeout", "ttl", "override_domain"):
        if getattr(over, k):
            setattr(merged, k, getattr(over, k))
    if over.resolvers is not None:
        merged.resolvers = list(over.resolvers)
    return merged


def _merge_port(base: PortChallengeConfig | None, over: PortChallengeConfig | None) -> PortChallengeConfig | None:
    if base is None:
        return copy.deepcopy(over)
    merged = copy.deepcopy(base)
    if over is not None:
        merged.disabled = merged.disabled or over.disabled
        if over.alternate_port:
            merged.alternate_port = over.alternate_port
    return merged


def _merge_challenges(base: ChallengesConfig | None, over: ChallengesConfig | None) -> ChallengesConfig | None:
    if base is None:
        return copy.deepcopy(over)
    merged = copy.deepcopy(base)
    if over is None:
        return merged
    merged.http = _merge_port(merged.http, over.http)
    merged.tls_alpn = _merge_port(merged.tls_alpn, over.tls_alpn)
    merged.dns = _merge_dns(merged.dns, over.dns)
    if over.bind_host:
        merged.bind_host = over.bind_host
    if over.distributed is not None:
        merged.distributed = over.distributed
    return merged


def merge_acme_issuers(base: ACMEIssuer | None, over: ACMEIssuer | None) -> ACMEIssuer:
    if base is None:
        return copy.deepcopy(over)  # type: ignore[return-value]
    merged = copy.deepcopy(base)
    if over is None:
        return merged
    for k in ("ca", "test_ca", "email", "profile", "account_key", "acme_timeout", "certificate_lifetime"):
        if getattr(over, k):
            setattr(merged, k, getattr(over, k))
    if over.external_account is not None:
        merged.external_account = dict(over.external_account)
    if over.trusted_roots_pem_files:
        roots = list(merged.trusted_roots_pem_files or [])
        roots += [r for r in over.trusted_roots_pem_files if r not in roots]
        merged.trusted_roots_pem_files = roots
    if over.preferred_chains is not None:
        merged.preferred_chains = copy.deepcopy(over.preferred_chains)
    if over.network_proxy:
        merged.network_proxy = copy.deepcopy(over.network_proxy)
    merged.challenges = _merge_challenges(merged.challenges, over.challenges)
    return merged


def implicit_acme_issuers(h: Any, acme: ACMEIssuer) -> list[Any]:
    """Issuers for the tls shortcuts (ca, dns, ...): global ACME cert_issuers as templates, else
    the default issuers, with the local settings layered on top."""
    global_issuers = h.option("cert_issuer") or []
    out = [merge_acme_issuers(iss.acme_issuer(), acme) for iss in global_issuers if iss.acme_issuer() is not None]
    if out:
        return out
    defaults: list[Any] = default_issuers(acme.email)
    if acme.ca:
        defaults = [ACMEIssuer()]
    return [merge_acme_issuers(iss.acme_issuer(), acme) if iss.acme_issuer() is not None else iss
            for iss in defaults]


def fill_in_global_acme_defaults(issuer: Any, options: dict[str, Any]) -> None:
    acme = issuer.acme_issuer()
    if acme is None:
        return
    email, ca, ca_root = options.get("email"), options.get("acme_ca"), options.get("acme_ca_root")
    has_acme_dns = "acme_dns" in options
    acme_dns = options.get("acme_dns")
    eab, chains = options.get("acme_eab"), options.get("preferred_chains")
    http_port, https_port = options.get("http_port"), options.get("https_port")
    if email is not None and not acme.email:
        acme.email = email
    if ca is not None and not acme.ca:
        acme.ca = ca
    if ca_root is not None and ca_root not in (acme.trusted_roots_pem_files or []):
        acme.trusted_roots_pem_files = (acme.trusted_roots_pem_files or []) + [ca_root]
    ch = acme.challenges
    if has_acme_dns and (ch is None or ch.dns is None or ch.dns.provider is None):
        if options.get("dns") is None and acme_dns is None:
            raise CaddyfileError("acme_dns specified without DNS provider config, but no provider specified "
                                 "with 'dns' global option")
        dns = acme.dns_cfg()
        if acme_dns is not None and dns.provider is None:
            dns.provider = acme_dns
    if eab is not None and acme.external_account is None:
        acme.external_account = dict(eab)
    if chains is not None and acme.preferred_chains is None:
        acme.preferred_chains = copy.deepcopy(chains)
    ch = acme.challenges
    if http_port is not None and (ch is None or ch.dns is None) and (ch is None or ch.http is None or not ch.http.alternate_port):
        ch = acme.challenges_cfg()
        ch.http = ch.http or PortChallengeConfig()
        ch.http.alternate_port = http_port
    ch = acme.challenges
    if https_port is not None and (ch is None or ch.dns is None) and (ch is None or ch.tls_alpn is None or not ch.tls_alpn.alternate_port):
        ch = acme.challenges_cfg()
        ch.tls_alpn = ch.tls_alpn or PortChallengeConfig()
        ch.tls_alpn.alternate_port = https_port
    ch = acme.challenges
    if ch is None or (ch.dns is None and not ch.bind_host):
        binds = options.get("default_bind")
        if binds and isinstance(binds[0].value, AddressesWithProtocols) and binds[0].value.addresses:
            acme.challenges_cfg().bind_host = binds[0].value.addresses[0]
    if options.get("cert_lifetime") is not None and not acme.certificate_lifetime:
        acme.certificate_lifetime = options["cert_lifetime"]
    resolvers = options.get("tls_resolvers")
    ch = acme.challenges
    if resolvers is not None and ch is not None and ch.dns is not None:
        if (has_acme_dns or ch.dns.provider is not None) and not ch.dns.resolvers:
            ch.dns.resolvers = list(resolvers)
