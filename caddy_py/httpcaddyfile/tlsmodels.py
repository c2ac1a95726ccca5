"""The TLS app's config values as the adapter builds them (Caddy's caddytls structs): issuers,
automation policies, connection policies. Dataclass equality stands in for Go's reflect.DeepEqual;
`to_json` prints Go's struct field order (module objects are sorted by json_module_object).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from caddy_py.httpcaddyfile.routes import json_module_object

ZEROSSL_PRODUCTION_CA = "https://acme.zerossl.com/v2/DV90"


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """omitempty: skip zero values (a present sub-struct pointer is kept, even if empty)."""
    if value is None or value is False:
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0:
        return
    if isinstance(value, (str, list, dict)) and not value:
        return
    out[key] = value.to_json() if hasattr(value, "to_json") else value


@dataclass
class DNSChallengeConfig:
    provider: dict | None = None
    ttl: int = 0
    propagation_delay: int = 0
    propagation_timeout: int = 0
    resolvers: list[str] | None = None
    override_domain: str = ""

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for k in ("provider", "ttl", "propagation_delay", "propagation_timeout", "resolvers", "override_domain"):
            _put(out, k, getattr(self, k))
        return out


@dataclass
class PortChallengeConfig:
    """HTTPChallengeConfig / TLSALPNChallengeConfig."""

    disabled: bool = False
    alternate_port: int = 0

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        _put(out, "disabled", self.disabled)
        _put(out, "alternate_port", self.alternate_port)
        return out


@dataclass
class ChallengesConfig:
    http: PortChallengeConfig | None = None
    tls_alpn: PortChallengeConfig | None = None
    dns: DNSChallengeConfig | None = None
    bind_host: str = ""
    distributed: bool | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        _put(out, "http", self.http)
        _put(out, "tls-alpn", self.tls_alpn)
        _put(out, "dns", self.dns)
        _put(out, "bind_host", self.bind_host)
        if self.distributed is not None:
            out["distributed"] = self.distributed
        return out


@dataclass
class ACMEIssuer:
    ca: str = ""
    test_ca: str = ""
    email: str = ""
    profile: str = ""
    account_key: str = ""
    external_account: dict | None = None
    acme_timeout: int = 0
    challenges: ChallengesConfig | None = None
    trusted_roots_pem_files: list[str] | None = None
    preferred_chains: dict | None = None
    certificate_lifetime: int = 0
    network_proxy: dict | None = None

    module = "acme"

    def acme_issuer(self) -> "ACMEIssuer":
        return self

    def challenges_cfg(self) -> ChallengesConfig:
        if self.challenges is None:
            self.challenges = ChallengesConfig()
        return self.challenges

    def dns_cfg(self) -> DNSChallengeConfig:
        ch = self.challenges_cfg()
        if ch.dns is None:
            ch.dns = DNSChallengeConfig()
        return ch.dns

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for k in ("ca", "test_ca", "email", "profile", "account_key", "external_account", "acme_timeout",
                  "challenges", "trusted_roots_pem_files", "preferred_chains", "certificate_lifetime",
                  "network_proxy"):
            _put(out, k, getattr(self, k))
        return out

    def clone(self) -> "ACMEIssuer":
        return copy.deepcopy(self)


@dataclass
class InternalIssuer:
    ca: str = ""
    lifetime: int = 0
    sign_with_root: bool = False

    module = "internal"

    def acme_issuer(self) -> None:
        return None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        _put(out, "ca", self.ca)
        _put(out, "lifetime", self.lifetime)
        _put(out, "sign_with_root", self.sign_with_root)
        return out


@dataclass
class GenericIssuer:
    """Any other issuer module (zerossl, ...): its JSON as parsed."""

    module: str
    value: dict = field(default_factory=dict)

    def acme_issuer(self) -> None:
        return None

    def to_json(self) -> dict:
        return dict(self.value)


def issuer_json(iss: Any) -> dict:
    return json_module_object(iss, "module", iss.module)


def default_issuers(email: str) -> list[ACMEIssuer]:
    """caddytls.DefaultIssuers: Let's Encrypt, plus ZeroSSL's ACME when an email is known."""
    issuers = [ACMEIssuer()]
    if email.strip():
        issuers.append(ACMEIssuer(ca=ZEROSSL_PRODUCTION_CA, email=email))
    return issuers


@dataclass
class AutomationPolicy:
    subjects: list[str] = field(default_factory=list)
    issuers: list[Any] = field(default_factory=list)  # issuer objects (Go's ap.Issuers)
    issuers_raw: list[dict] | None = None  # encoded issuers (Go's ap.IssuersRaw)
    managers: list[dict] = field(default_factory=list)
    must_staple: bool = False
    renewal_window_ratio: float = 0.0
    key_type: str = ""
    storage: dict | None = None
    on_demand: bool = False
    reuse_private_keys: bool = False
    disable_ocsp_stapling: bool = False
    ocsp_overrides: dict | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        _put(out, "subjects", self.subjects)
        _put(out, "issuers", self.issuers_raw)
        _put(out, "get_certificate", self.managers)
        _put(out, "must_staple", self.must_staple)
        _put(out, "renewal_window_ratio", self.renewal_window_ratio)
        _put(out, "key_type", self.key_type)
        _put(out, "storage", self.storage)
        _put(out, "on_demand", self.on_demand)
        _put(out, "reuse_private_keys", self.reuse_private_keys)
        _put(out, "disable_ocsp_stapling", self.disable_ocsp_stapling)
        _put(out, "ocsp_overrides", self.ocsp_overrides)
        return out

    def copy(self) -> "AutomationPolicy":
        return copy.copy(self)


@dataclass
class ClientAuthentication:
    ca: dict | None = None
    trusted_ca_certs: list[str] = field(default_factory=list)
    trusted_ca_certs_pem_files: list[str] = field(default_factory=list)
    trusted_leaf_certs: list[str] = field(default_factory=list)
    verifiers: list[dict] = field(default_factory=list)
    mode: str = ""

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for k in ("ca", "trusted_ca_certs", "trusted_ca_certs_pem_files", "trusted_leaf_certs",
                  "verifiers", "mode"):
            _put(out, k, getattr(self, k))
        return out


@dataclass
class ConnectionPolicy:
    match: dict | None = None
    certificate_selection: dict | None = None
    cipher_suites: list[str] = field(default_factory=list)
    curves: list[str] = field(default_factory=list)
    alpn: list[str] = field(default_factory=list)
    protocol_min: str = ""
    protocol_max: str = ""
    drop: bool = False
    client_authentication: ClientAuthentication | None = None
    default_sni: str = ""
    fallback_sni: str = ""
    insecure_secrets_log: str = ""

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for k in ("match", "certificate_selection", "cipher_suites", "curves", "alpn", "protocol_min",
                  "protocol_max", "drop", "client_authentication", "default_sni", "fallback_sni",
                  "insecure_secrets_log"):
            _put(out, k, getattr(self, k))
        return out

    def copy(self) -> "ConnectionPolicy":
        return copy.deepcopy(self)


class FileLoader(list):
    """tls.certificates.load_files: a list of {certificate, key, tags} pairs."""

    module = "load_files"


class FolderLoader(list):
    """tls.certificates.load_folders: a list of folder paths."""

    module = "load_folders"
