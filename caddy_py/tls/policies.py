"""Connection policies (`tls_connection_policies` of an http server) as `ssl.SSLContext`s.

A policy matches a ClientHello (sni, remote_ip, local_ip); the first match wins, as in Caddy.
Its context is built per certificate and cached: protocol versions, TLS 1.2 cipher suites,
ALPN, client authentication (mTLS) with the trust pool, and the certificate itself.
"""
from __future__ import annotations

import ipaddress
import os
import ssl
import tempfile
from typing import Any, Callable

from caddy_py.config.context import ConfigError
from caddy_py.tls.certs import Certificate, der_b64_certs, match_wildcard, normalized_name, public_key_algorithm

PROTOCOLS = {"tls1.2": ssl.TLSVersion.TLSv1_2, "tls1.3": ssl.TLSVersion.TLSv1_3,
             "tls1.1": ssl.TLSVersion.TLSv1_1, "tls1.0": ssl.TLSVersion.TLSv1}
# Go's TLS 1.2 suite names → OpenSSL's (TLS 1.3 suites are not configurable, as in Go)
CIPHERS = {
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
}
# aiohttp speaks HTTP/1.1 only: h2 is never negotiated (clients fall back to http/1.1)
SUPPORTED_ALPN = ("http/1.1", "acme-tls/1")
CLIENT_AUTH_MODES = {"request": ssl.CERT_OPTIONAL, "require": ssl.CERT_REQUIRED,
                     "verify_if_given": ssl.CERT_OPTIONAL, "require_and_verify": ssl.CERT_REQUIRED}


def _ranges(items: list[str] | None) -> list[Any]:
    out = []
    for r in items or []:
        try:
            out.append(ipaddress.ip_network(r, strict=False) if "/" in r else
                       ipaddress.ip_network(ipaddress.ip_address(r)))
        except ValueError:
            raise ConfigError(f"invalid IP address or CIDR range: {r}") from None
    return out


def _in(ip: str, nets: list[Any]) -> bool:
    try:
        a = ipaddress.ip_address(ip.split("%")[0])
    except ValueError:
        return False
    return any(a.version == n.version and a in n for n in nets)


class ClientAuth:
    def __init__(self, cfg: dict[str, Any], pki_roots: Callable[[str], bytes]) -> None:
        self.cadata = b""
        self.cafiles: list[str] = []
        ca = cfg.get("ca") or {}
        provider = ca.get("provider", "")
        if provider == "inline":
            self.cadata += der_b64_certs(ca.get("trusted_ca_certs") or [])
        elif provider == "file":
            self.cafiles += ca.get("pem_files") or []
        elif provider in ("pki_root", "pki_intermediate"):
            for auth in ca.get("authority") or []:
                self.cadata += pki_roots(f"{provider}:{auth}")
        elif provider:
            raise ConfigError(f"client authentication: trust pool provider '{provider}' is not supported")
        self.cadata += der_b64_certs(cfg.get("trusted_ca_certs") or [])
        self.cafiles += cfg.get("trusted_ca_certs_pem_files") or []
        self.leaves = {bytes(der_b64_certs([c])) for c in cfg.get("trusted_leaf_certs") or []}
        mode = cfg.get("mode") or ("require_and_verify" if (self.cadata or self.cafiles) else "require")
        if mode not in CLIENT_AUTH_MODES:
            raise ConfigError(f"client auth mode not recognized: {mode}")
        self.mode = mode
        for path in self.cafiles:
            if not os.path.isfile(path):
                raise ConfigError(f"reading client auth trusted CA file {path}: no such file")

    def apply(self, ctx: ssl.SSLContext) -> None:
        ctx.verify_mode = CLIENT_AUTH_MODES[self.mode]
        if self.cadata:
            ctx.load_verify_locations(cadata=self.cadata)
        for path in self.cafiles:
            ctx.load_verify_locations(cafile=path)
        if not (self.cadata or self.cafiles):
            ctx.load_default_certs(ssl.Purpose.CLIENT_AUTH)

    def leaf_allowed(self, der: bytes | None) -> bool:
        return not self.leaves or (der is not None and der in self.leaves)


class ConnectionPolicy:
    def __init__(self, cfg: dict[str, Any], pki_roots: Callable[[str], bytes]) -> None:
        self.cfg = cfg
        m = cfg.get("match") or {}
        self.sni = [normalized_name(s) for s in m.get("sni") or []]
        self.remote = _ranges((m.get("remote_ip") or {}).get("ranges"))
        self.not_remote = _ranges((m.get("remote_ip") or {}).get("not_ranges"))
        self.local = _ranges((m.get("local_ip") or {}).get("ranges"))
        self.not_local = _ranges((m.get("local_ip") or {}).get("not_ranges"))
        self.selection = cfg.get("certificate_selection") or {}
        for p in ("protocol_min", "protocol_max"):
            if cfg.get(p) and cfg[p] not in PROTOCOLS:
                raise ConfigError(f"{p} '{cfg[p]}' is not a supported protocol version")
        self.min = PROTOCOLS[cfg.get("protocol_min") or "tls1.2"]
        self.max = PROTOCOLS[cfg.get("protocol_max") or "tls1.3"]
        if self.min > self.max:
            raise ConfigError(f"protocol min ({cfg.get('protocol_min')}) cannot be greater than "
                              f"protocol max ({cfg.get('protocol_max')})")
        unknown = [c for c in cfg.get("cipher_suites") or [] if c not in CIPHERS]
        if unknown:
            raise ConfigError(f"invalid cipher suite: {unknown[0]}")
        self.ciphers = ":".join(CIPHERS[c] for c in cfg.get("cipher_suites") or [])
        alpn = cfg.get("alpn") or ["h2", "http/1.1"]
        self.alpn = [a for a in alpn if a in SUPPORTED_ALPN] or ["http/1.1"]
        ca = cfg.get("client_authentication")
        self.client_auth = ClientAuth(ca, pki_roots) if ca else None
        self.default_sni = normalized_name(cfg.get("default_sni") or "")
        self.fallback_sni = normalized_name(cfg.get("fallback_sni") or "")
        self.drop = bool(cfg.get("drop"))
        self._contexts: dict[str, ssl.SSLContext] = {}

    def matches(self, server_name: str, remote_ip: str, local_ip: str) -> bool:
        if self.sni and not any(match_wildcard(server_name, p) for p in self.sni):
            return False
        if self.remote and not _in(remote_ip, self.remote):
            return False
        if self.not_remote and _in(remote_ip, self.not_remote):
            return False
        if self.local and not _in(local_ip, self.local):
            return False
        if self.not_local and _in(local_ip, self.not_local):
            return False
        return True

    def selects(self, cert: Certificate) -> bool:
        """Caddy's certificate_selection (every given criterion must hold)."""
        s = self.selection
        if not s:
            return True
        if s.get("serial_number") and str(cert.leaf.serial_number) not in [str(x) for x in s["serial_number"]]:
            return False
        if s.get("subject_organization"):
            from cryptography.x509.oid import NameOID

            orgs = [a.value for a in cert.leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
            if not any(o in orgs for o in s["subject_organization"]):
                return False
        if s.get("public_key_algorithm") and public_key_algorithm(cert.leaf) != str(s["public_key_algorithm"]).lower():
            return False
        if s.get("any_tag") and not any(t in cert.tags for t in s["any_tag"]):
            return False
        if s.get("all_tags") and not all(t in cert.tags for t in s["all_tags"]):
            return False
        return True

    def context(self, cert: Certificate, extra_alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
        key = cert.hash + "|" + ",".join(extra_alpn)
        ctx = self._contexts.get(key)
        if ctx is None:
            if len(self._contexts) > 256:
                self._contexts.clear()
            ctx = self._contexts[key] = self._build(cert, extra_alpn)
        return ctx

    def _build(self, cert: Certificate, extra_alpn: tuple[str, ...]) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version, ctx.maximum_version = self.min, self.max
        if self.ciphers:
            ctx.set_ciphers(self.ciphers)
        ctx.set_alpn_protocols(list(extra_alpn) or self.alpn)
        load_pair(ctx, cert)
        if self.client_auth is not None and not extra_alpn:
            self.client_auth.apply(ctx)
        return ctx


def load_pair(ctx: ssl.SSLContext, cert: Certificate) -> None:
    """ssl can only read certificates from files: write the pair to private temporary files."""
    with tempfile.TemporaryDirectory(prefix="caddy-py-tls-") as d:
        crt, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(cert.key_pem)
        with open(crt, "wb") as f:
            f.write(cert.chain_pem)
        ctx.load_cert_chain(crt, key)
