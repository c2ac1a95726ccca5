"""Finalizing an order: the CSR must be well signed and name exactly the order's identifiers;
the certificate is signed by the CA's intermediate (or root, with `sign_with_root`)."""
from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import josepy
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caddy_py.modules.acme_server.problems import Problem
from caddy_py.tls.localca import LocalCA

BACKDATE = dt.timedelta(minutes=1)


def parse_csr(b64: Any) -> x509.CertificateSigningRequest:
    if not isinstance(b64, str) or not b64:
        raise Problem("malformed", "unable to parse csr")
    try:
        csr = x509.load_der_x509_csr(josepy.b64decode(b64))
    except Exception:  # noqa: BLE001 - bad base64 or DER
        raise Problem("malformed", "unable to parse csr") from None
    if not csr.is_signature_valid:
        raise Problem("badCSR", "invalid CSR signature")
    return csr


def csr_identifiers(csr: x509.CertificateSigningRequest) -> set[tuple[str, str]]:
    ids: set[tuple[str, str]] = set()
    for attr in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME):
        value = str(attr.value)
        try:
            ids.add(("ip", str(ipaddress.ip_address(value))))
        except ValueError:
            ids.add(("dns", value.lower()))
    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ids
    ids.update(("dns", n.lower()) for n in sans.get_values_for_type(x509.DNSName))
    ids.update(("ip", str(ip)) for ip in sans.get_values_for_type(x509.IPAddress))
    if len(list(sans)) != len(sans.get_values_for_type(x509.DNSName)) + len(sans.get_values_for_type(x509.IPAddress)):
        raise Problem("badCSR", "CSR contains unsupported subject alternative names (only DNS names and IP addresses)")
    return ids


def check_csr(csr: x509.CertificateSigningRequest, identifiers: list[dict[str, str]]) -> None:
    want = {(i["type"], i["value"].lower() if i["type"] == "dns" else str(ipaddress.ip_address(i["value"])))
            for i in identifiers}
    got = csr_identifiers(csr)
    if got != want:
        def show(s: set[tuple[str, str]]) -> str:
            return ", ".join(sorted(v for _, v in s))
        raise Problem("badCSR", f"CSR names do not match identifiers exactly: CSR names = [{show(got)}], "
                      f"authz identifiers = [{show(want)}]")


def sign(ca: LocalCA, csr: x509.CertificateSigningRequest, identifiers: list[dict[str, str]],
         not_before: dt.datetime, not_after: dt.datetime, with_root: bool) -> tuple[bytes, int]:
    """(PEM chain: leaf then issuer, serial number)."""
    if with_root:
        issuer, issuer_key = ca.root, ca.root_key
    else:
        ca.renew_intermediate_if_due()
        issuer, issuer_key = ca.inter, ca.inter_key
    assert issuer is not None
    not_after = min(not_after, issuer.not_valid_after_utc)
    sans: list[x509.GeneralName] = []
    for i in identifiers:
        if i["type"] == "ip":
            sans.append(x509.IPAddress(ipaddress.ip_address(i["value"])))
        else:
            sans.append(x509.DNSName(i["value"]))
    cn = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(cn[0].value))]) if cn else x509.Name([])
    serial = x509.random_serial_number()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer.subject)
            .public_key(csr.public_key()).serial_number(serial)
            .not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName(sans), critical=not cn)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=isinstance(csr.public_key(), rsa.RSAPublicKey), data_encipherment=False, key_agreement=False,
                                         key_cert_sign=False, crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                  ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(csr.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                           critical=False)
            .sign(issuer_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return cert.public_bytes(pem) + issuer.public_bytes(pem), serial
