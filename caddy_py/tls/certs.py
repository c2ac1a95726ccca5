"""Certificates in memory: parsing PEM pairs, loading them from files and folders, and picking
one for a server name the way certmagic does (exact name, then wildcards, then the default or
fallback name)."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID


class CertError(Exception):
    """A certificate that cannot be used; the message says why."""


@dataclass
class Certificate:
    chain_pem: bytes
    key_pem: bytes
    leaf: x509.Certificate
    names: list[str]
    tags: list[str] = field(default_factory=list)
    managed: bool = False
    issuer_key: str = ""

    @property
    def hash(self) -> str:
        return hashlib.sha256(self.chain_pem + self.key_pem).hexdigest()

    @property
    def not_after(self) -> datetime:
        return self.leaf.not_valid_after_utc

    @property
    def not_before(self) -> datetime:
        return self.leaf.not_valid_before_utc

    def needs_renewal(self, now: datetime | None = None, ratio: float = 1 / 3) -> bool:
        """certmagic's rule: renew once less than `ratio` of the lifetime remains."""
        now = now or datetime.now(timezone.utc)
        lifetime = self.not_after - self.not_before
        return self.not_after - now < lifetime * ratio


def parse_pair(chain_pem: bytes, key_pem: bytes, tags: Iterable[str] = ()) -> Certificate:
    try:
        chain = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise CertError("tls: failed to find any PEM data in certificate input") from None
    try:
        key = serialization.load_pem_private_key(_only_key_blocks(key_pem), None)
    except (ValueError, TypeError):
        raise CertError("tls: failed to find any PEM data in key input") from None
    leaf = chain[0]
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    enc = serialization.Encoding.DER
    if key.public_key().public_bytes(enc, pub) != leaf.public_key().public_bytes(enc, pub):
        raise CertError("tls: private key does not match public key")
    return Certificate(chain_pem, key_pem, leaf, cert_names(leaf), list(tags))


def _only_key_blocks(pem: bytes) -> bytes:
    """The PRIVATE KEY block of a PEM file that may also hold certificates (load_files with a
    combined file)."""
    start = pem.find(b"-----BEGIN ")
    while start >= 0:
        line_end = pem.find(b"\n", start)
        header = pem[start:line_end]
        end_marker = b"-----END " + header[len(b"-----BEGIN "):]
        stop = pem.find(end_marker, start)
        if stop < 0:
            break
        block = pem[start:stop + len(end_marker)]
        if b"PRIVATE KEY" in header:
            return block + b"\n"
        start = pem.find(b"-----BEGIN ", stop)
    return pem


def cert_names(leaf: x509.Certificate) -> list[str]:
    names: list[str] = []
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [n.lower() for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    if not names:
        names += [str(a.value).lower() for a in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return names


LoadErrors = list[tuple[str, list[str]]]  # (message, tags of the certificate that failed)


def load_files(entries: list[dict[str, Any]]) -> tuple[list[Certificate], LoadErrors]:
    """`certificates.load_files`: (certificates, errors). A bad pair is reported, not fatal."""
    certs, errors = [], []
    for e in entries or []:
        cert_file, key_file = str(e.get("certificate", "")), str(e.get("key", ""))
        try:
            fmt = e.get("format") or "pem"
            if fmt != "pem":
                raise CertError(f"unrecognized certificate/key encoding format: {fmt}")
            with open(cert_file, "rb") as f:
                chain = f.read()
            with open(key_file, "rb") as f:
                key = f.read()
            certs.append(parse_pair(chain, key, e.get("tags") or ()))
        except OSError as ex:
            errors.append((f"loading certificate and key from files {cert_file} and {key_file}: "
                           f"open {ex.filename}: {ex.strerror}", e.get("tags") or []))
        except CertError as ex:
            errors.append((f"loading certificate and key from files {cert_file} and {key_file}: {ex}",
                           e.get("tags") or []))
    return certs, errors


def load_pem(entries: list[dict[str, Any]]) -> tuple[list[Certificate], LoadErrors]:
    certs, errors = [], []
    for i, e in enumerate(entries or []):
        try:
            certs.append(parse_pair(str(e.get("certificate", "")).encode(), str(e.get("key", "")).encode(),
                                    e.get("tags") or ()))
        except CertError as ex:
            errors.append((f"loading PEM certificate {i}: {ex}", e.get("tags") or []))
    return certs, errors


def load_folders(folders: list[str]) -> tuple[list[Certificate], LoadErrors]:
    """`certificates.load_folders`: every .pem file holding both a certificate and its key."""
    certs, errors = [], []
    for folder in folders or []:
        for root, _dirs, files in os.walk(folder):
            for name in sorted(files):
                if not name.lower().endswith(".pem"):
                    continue
                path = os.path.join(root, name)
                try:
                    with open(path, "rb") as f:
                        data = f.read()
                    certs.append(parse_pair(data, data))
                except (OSError, CertError) as ex:
                    errors.append((f"{path}: {ex}", []))
        if not os.path.isdir(folder):
            errors.append((f"unable to load certificates from folder {folder}: not a directory", []))
    return certs, errors


def der_b64_certs(items: Iterable[str]) -> bytes:
    """DER certificates given base64-encoded (Caddy's trusted_ca_certs)."""
    return b"".join(base64.b64decode(s) for s in items)


def public_key_algorithm(leaf: x509.Certificate) -> str:
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ecdsa"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    return "unknown"


def match_wildcard(name: str, pattern: str) -> bool:
    """certmagic.MatchWildcard: exact, or `*` standing for exactly one label."""
    if name == pattern:
        return True
    if "*" not in pattern:
        return False
    a, b = name.split("."), pattern.split(".")
    return len(a) == len(b) and all(p == "*" or p == n for n, p in zip(a, b))


def normalized_name(name: str) -> str:
    name = name.strip().lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return name


class CertIndex:
    """Certificates by the names they hold; `select` applies certmagic's lookup order."""

    def __init__(self, certs: Iterable[Certificate] = ()) -> None:
        self.by_name: dict[str, list[Certificate]] = {}
        for c in certs:
            self.add(c)

    def add(self, cert: Certificate) -> None:
        for n in cert.names:
            lst = self.by_name.setdefault(normalized_name(n), [])
            lst[:] = [c for c in lst if c.hash != cert.hash]
            lst.append(cert)

    def remove_name(self, name: str, keep: Certificate | None = None) -> None:
        lst = self.by_name.get(name)
        if lst is not None:
            lst[:] = [c for c in lst if not c.managed or c is keep]

    def has(self, name: str) -> bool:
        name = normalized_name(name)
        return bool(self.by_name.get(name)) or any(
            match_wildcard(name, n) for n, lst in self.by_name.items() if lst)

    def candidates(self, name: str) -> list[Certificate]:
        return list(self.by_name.get(normalized_name(name), ()))
