"""`{http.request.tls.*}` placeholders from the connection's TLS state (Caddy's replacer.go)."""
from __future__ import annotations

import base64
import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from caddy_py.tls.policies import CIPHERS

GO_CIPHER = {v: k for k, v in CIPHERS.items()}
# without a client certificate Caddy reads an empty certificate: known, empty values
NO_CLIENT_CERT: dict[str, Any] = {
    "client.fingerprint": hashlib.sha256(b"").hexdigest(), "client.public_key": None,
    "client.public_key_sha256": None, "client.issuer": "", "client.subject": "", "client.serial": "<nil>",
    "client.certificate_pem": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    "client.certificate_der_base64": ""}
VERSIONS = {"TLSv1.3": "tls1.3", "TLSv1.2": "tls1.2", "TLSv1.1": "tls1.1", "TLSv1": "tls1.0"}


def _public_key(cert: x509.Certificate) -> bytes:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return b""


def _san(cert: x509.Certificate | None, field: str) -> tuple[Any, bool]:
    kinds = {"dns_names": x509.DNSName, "emails": x509.RFC822Name, "ips": x509.IPAddress,
             "uris": x509.UniformResourceIdentifier}
    name = next((k for k in kinds if field.startswith(k)), None)
    if name is None:
        return None, False
    values: list[str] = []
    if cert is not None:
        try:
            ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            values = [str(v) for v in ext.get_values_for_type(kinds[name])]
        except x509.ExtensionNotFound:
            pass
    rest = field[len(name):]
    if not rest:
        return values, True
    if len(rest) < 2 or rest[0] != "." or not rest[1:].isdigit():
        return None, False
    idx = int(rest[1:])
    return (values[idx] if idx < len(values) else None), True


def tls_value(transport: Any, field: str) -> tuple[Any, bool]:
    """The value of `http.request.tls.<field>` for a request on `transport` ((None, False) on
    plain HTTP or for unknown fields)."""
    obj = transport.get_extra_info("ssl_object") if transport is not None else None
    if obj is None:
        return None, False
    field = field.lower()
    if field.startswith("client."):
        der = obj.getpeercert(binary_form=True)
        cert = x509.load_der_x509_certificate(der) if der else None
        if field.startswith("client.san."):
            return _san(cert, field[len("client.san."):])
        if cert is None:
            return NO_CLIENT_CERT.get(field), field in NO_CLIENT_CERT
        if field == "client.fingerprint":
            return hashlib.sha256(der).hexdigest(), True
        if field == "client.public_key":
            return _public_key(cert).hex(), True
        if field == "client.public_key_sha256":
            return hashlib.sha256(_public_key(cert)).hexdigest(), True
        if field == "client.issuer":
            return cert.issuer.rfc4514_string(), True
        if field == "client.subject":
            return cert.subject.rfc4514_string(), True
        if field == "client.serial":
            return str(cert.serial_number), True
        if field == "client.certificate_pem":
            return cert.public_bytes(serialization.Encoding.PEM).decode(), True
        if field == "client.certificate_der_base64":
            return base64.b64encode(der).decode(), True
        return None, False
    if field == "version":
        return VERSIONS.get(obj.version() or "", obj.version()), True
    if field == "cipher_suite":
        name = (obj.cipher() or ("",))[0]
        return GO_CIPHER.get(name, name), True
    if field == "resumed":
        return bool(obj.session_reused), True
    if field == "proto":
        return obj.selected_alpn_protocol() or "", True
    if field == "proto_mutual":
        return True, True
    if field == "server_name":
        return getattr(transport, "caddy_server_name", ""), True
    if field == "ech":
        return False, True
    return None, False
