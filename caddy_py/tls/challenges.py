"""ACME challenge answers being offered right now (process-wide: whichever config is serving
answers them): HTTP-01 tokens and TLS-ALPN-01 certificates."""
from __future__ import annotations

import datetime as dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ObjectIdentifier

from caddy_py.tls.certs import Certificate, parse_pair

HTTP_PREFIX = "/.well-known/acme-challenge/"
ACME_TLS_ALPN = "acme-tls/1"
ID_PE_ACME_IDENTIFIER = ObjectIdentifier("1.3.6.1.5.5.7.1.31")
HTTP_TOKENS: dict[str, str] = {}  # token → key authorization
TLSALPN_CERTS: dict[str, Certificate] = {}  # identifier → challenge certificate


def http_answer(path: str) -> bytes | None:
    """The key authorization for an HTTP-01 request path, if we are solving that token."""
    if not path.startswith(HTTP_PREFIX):
        return None
    ka = HTTP_TOKENS.get(path[len(HTTP_PREFIX):])
    return ka.encode() if ka is not None else None


def tlsalpn_certificate(name: str, key_authorization: str) -> Certificate:
    """RFC 8737's self-signed certificate carrying sha256(key authorization)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    digest = hashlib.sha256(key_authorization.encode()).digest()
    cert = (x509.CertificateBuilder().subject_name(x509.Name([])).issuer_name(x509.Name([]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.UnrecognizedExtension(ID_PE_ACME_IDENTIFIER, b"\x04\x20" + digest), critical=True)
            .sign(key, hashes.SHA256()))
    return parse_pair(cert.public_bytes(serialization.Encoding.PEM),
                      key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
