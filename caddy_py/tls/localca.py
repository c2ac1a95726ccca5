"""The local certificate authority behind `tls internal` (Caddy's `pki` app, CA "local").

A root (10 years) and an intermediate (7 days, re-issued when a third of it remains) live in
storage under `pki/authorities/<id>/`; leaves (12 hours by default) are signed by the
intermediate with P-256 keys, as Caddy's internal issuer does.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caddy_py.tls.certs import Certificate, parse_pair
from caddy_py.tls.storage import FileStorage

LOG = logging.getLogger("pki.ca.local")
ROOT_LIFETIME = dt.timedelta(days=3650)
INTERMEDIATE_LIFETIME = dt.timedelta(days=7)
LEAF_LIFETIME = dt.timedelta(hours=12)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _key_pem(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _ca_cert(subject: str, key: Any, issuer_cert: x509.Certificate | None, issuer_key: Any,
             lifetime: dt.timedelta, path_len: int) -> x509.Certificate:
    now = _now()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + lifetime)
         .add_extension(x509.BasicConstraints(ca=True, path_length=path_len), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                      crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    return b.sign(issuer_key, hashes.SHA256())


class LocalCA:
    def __init__(self, storage: FileStorage, ca_id: str = "local", cfg: dict[str, Any] | None = None) -> None:
        cfg = cfg or {}
        self.storage = storage
        self.id = ca_id
        self.name = cfg.get("name") or "Caddy Local Authority"
        self.root_cn = cfg.get("root_common_name") or f"{self.name} - {_now().year} ECC Root"
        self.inter_cn = cfg.get("intermediate_common_name") or f"{self.name} - ECC Intermediate"
        self.install_trust = cfg.get("install_trust") is not False
        self.root: x509.Certificate | None = None
        self.root_key: Any = None
        self.inter: x509.Certificate | None = None
        self.inter_key: Any = None

    def _dir(self, f: str) -> tuple[str, ...]:
        return ("pki", "authorities", self.id, f)

    def load_or_create(self) -> "LocalCA":
        crt, key = self.storage.read(*self._dir("root.crt")), self.storage.read(*self._dir("root.key"))
        if crt and key:
            self.root = x509.load_pem_x509_certificate(crt)
            self.root_key = serialization.load_pem_private_key(key, None)
        else:
            self.root_key = ec.generate_private_key(ec.SECP256R1())
            self.root = _ca_cert(self.root_cn, self.root_key, None, self.root_key, ROOT_LIFETIME, 1)
            self.storage.write(_key_pem(self.root_key), *self._dir("root.key"), private=True)
            self.storage.write(_pem(self.root), *self._dir("root.crt"))
            LOG.info("root certificate generated", extra={"caddy_fields": {
                "path": self.storage.path(*self._dir("root.crt"))}})
        crt, key = self.storage.read(*self._dir("intermediate.crt")), self.storage.read(*self._dir("intermediate.key"))
        if crt and key:
            self.inter = x509.load_pem_x509_certificate(crt)
            self.inter_key = serialization.load_pem_private_key(key, None)
        self.renew_intermediate_if_due()
        return self

    def renew_intermediate_if_due(self, now: dt.datetime | None = None) -> bool:
        now = now or _now()
        i = self.inter
        if i is not None and i.issuer == self.root.subject:  # type: ignore[union-attr]
            life = i.not_valid_after_utc - i.not_valid_before_utc
            if i.not_valid_after_utc - now > life / 3:
                return False
        self.inter_key = ec.generate_private_key(ec.SECP256R1())
        self.inter = _ca_cert(self.inter_cn, self.inter_key, self.root, self.root_key, INTERMEDIATE_LIFETIME, 0)
        self.storage.write(_key_pem(self.inter_key), *self._dir("intermediate.key"), private=True)
        self.storage.write(_pem(self.inter), *self._dir("intermediate.crt"))
        LOG.info("intermediate certificate generated")
        return True

    @property
    def root_pem(self) -> bytes:
        assert self.root is not None
        return _pem(self.root)

    @property
    def intermediate_pem(self) -> bytes:
        assert self.inter is not None
        return _pem(self.inter)

    def issue(self, names: list[str], lifetime: dt.timedelta = LEAF_LIFETIME) -> Certificate:
        """A leaf for `names` (DNS names or IP addresses), chained to the intermediate."""
        import ipaddress

        self.renew_intermediate_if_due()
        assert self.inter is not None
        now = _now()
        not_after = min(now + lifetime, self.inter.not_valid_after_utc)
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for n in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        leaf = (x509.CertificateBuilder().subject_name(x509.Name([]))
                .issuer_name(self.inter.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName(sans), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             key_cert_sign=False, crl_sign=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.inter_key.public_key()),
                               critical=False)
                .sign(self.inter_key, hashes.SHA256()))
        return parse_pair(_pem(leaf) + self.intermediate_pem, _key_pem(key))
