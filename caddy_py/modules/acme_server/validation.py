"""Validating challenges by reaching the client's host (RFC 8555 8.3, RFC 8737, RFC 8738).

http-01 fetches `http://HOST/.well-known/acme-challenge/TOKEN` (port 80) and compares the body
with the key authorization; tls-alpn-01 connects to HOST:443 offering only `acme-tls/1` and
checks the self-signed certificate's SAN and acmeIdentifier extension; dns-01 looks up the TXT
records of `_acme-challenge.NAME` (txt.py) for the key authorization's digest.

The ports can be changed with CADDY_PY_ACME_SERVER_HTTP_PORT / CADDY_PY_ACME_SERVER_TLS_PORT,
for tests only (as smallstep's InsecurePortHTTP01/InsecurePortTLSALPN01).
"""
from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import ssl

import aiohttp
import josepy
from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from caddy_py.modules.acme_server.problems import Problem
from caddy_py.modules.acme_server.txt import TXTError, lookup_txt

ID_PE_ACME_IDENTIFIER = ObjectIdentifier("1.3.6.1.5.5.7.1.31")
TIMEOUT = 10.0


def _port(env: str, default: int) -> int:
    try:
        return int(os.environ.get(env) or default)
    except ValueError:
        return default


def _host(kind: str, value: str) -> str:
    return f"[{value}]" if kind == "ip" and ":" in value else value


async def validate(typ: str, kind: str, value: str, token: str, key_authorization: str,
                   resolvers: list[tuple[str, int]] | None = None) -> None:
    """Return when the challenge is met; raise Problem (the challenge's error) otherwise."""
    if typ == "http-01":
        await _http01(kind, value, token, key_authorization)
    elif typ == "tls-alpn-01":
        await _tlsalpn01(kind, value, key_authorization)
    elif typ == "dns-01":
        await _dns01(value, key_authorization, resolvers or [])
    else:
        raise Problem("malformed", f"unexpected challenge type {typ!r}")


async def _http01(kind: str, value: str, token: str, key_authorization: str) -> None:
    port = _port("CADDY_PY_ACME_SERVER_HTTP_PORT", 80)
    url = f"http://{_host(kind, value)}{'' if port == 80 else f':{port}'}/.well-known/acme-challenge/{token}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as s:
            async with s.get(url, max_redirects=10) as r:
                if r.status >= 400:
                    raise Problem("connection", f"error doing http GET for url {url} with status code {r.status}")
                body = (await r.content.read(64 * 1024)).decode(errors="replace")
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise Problem("connection", f"error doing http GET for url {url}: {e or type(e).__name__}") from None
    got = body.strip()
    if got != key_authorization:
        raise Problem("incorrectResponse",
                      f"keyAuthorization does not match; expected {key_authorization}, but got {got}")


async def _dns01(domain: str, key_authorization: str, resolvers: list[tuple[str, int]]) -> None:
    want = josepy.b64encode(hashlib.sha256(key_authorization.encode()).digest()).decode()
    try:
        records = await lookup_txt(f"_acme-challenge.{domain}", resolvers)
    except TXTError as e:
        raise Problem("dns", f"error looking up TXT records for domain {domain}: {e}") from None
    if want not in records:
        raise Problem("incorrectResponse", f"keyAuthorization does not match; expected {want}, but got {records}")


def _reverse_name(ip: str) -> str:
    return ipaddress.ip_address(ip).reverse_pointer


async def _tlsalpn01(kind: str, value: str, key_authorization: str) -> None:
    port = _port("CADDY_PY_ACME_SERVER_TLS_PORT", 443)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_alpn_protocols(["acme-tls/1"])
    sni = _reverse_name(value) if kind == "ip" else value
    where = f"{_host(kind, value)}:{port}"
    try:
        async with asyncio.timeout(TIMEOUT):
            _, writer = await asyncio.open_connection(value, port, ssl=ctx, server_hostname=sni)
    except (OSError, ssl.SSLError, TimeoutError) as e:
        raise Problem("connection", f"error doing TLS dial for {where}: {e or type(e).__name__}") from None
    try:
        sslobj = writer.get_extra_info("ssl_object")
        alpn = sslobj.selected_alpn_protocol() if sslobj is not None else None
        der = sslobj.getpeercert(binary_form=True) if sslobj is not None else None
    finally:
        writer.close()
    if alpn != "acme-tls/1":
        raise Problem("rejectedIdentifier", f"cannot negotiate ALPN acme-tls/1 protocol for tls-alpn-01 challenge")
    if not der:
        raise Problem("rejectedIdentifier", "tls-alpn-01 challenge for {where} resulted in no certificates")
    cert = x509.load_der_x509_certificate(der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        sans = None
    names = ([str(i) for i in sans.get_values_for_type(x509.IPAddress)] if kind == "ip"
             else sans.get_values_for_type(x509.DNSName)) if sans is not None else []
    others = len(list(sans)) - len(names) if sans is not None else 0
    if names != [value] or others:
        raise Problem("rejectedIdentifier",
                      f"incorrect certificate for tls-alpn-01 challenge: leaf certificate must contain a "
                      f"single {'IP address' if kind == 'ip' else 'DNS name'}, {value}")
    try:
        ext = cert.extensions.get_extension_for_oid(ID_PE_ACME_IDENTIFIER)
    except x509.ExtensionNotFound:
        raise Problem("incorrectResponse", "incorrect certificate for tls-alpn-01 challenge: missing "
                      "acmeValidationV1 extension") from None
    want = b"\x04\x20" + hashlib.sha256(key_authorization.encode()).digest()
    if not ext.critical or getattr(ext.value, "value", None) != want:
        raise Problem("incorrectResponse", "incorrect certificate for tls-alpn-01 challenge: "
                      "expected acmeValidationV1 extension value does not match")
