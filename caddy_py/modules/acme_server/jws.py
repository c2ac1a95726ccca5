"""Checking the JWS that carries every ACME POST (RFC 8555 section 6.2), on josepy/acme's JWS.

A request is signed either with the account key itself (`jwk`: newAccount, revokeCert) or with
an account URL (`kid`); its protected header must name the request URL and a nonce this server
issued and not yet used.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import josepy
from acme import jws as acme_jws

from caddy_py.modules.acme_server.problems import Problem

ALLOWED_ALGS = {"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"}


@dataclass
class Signed:
    payload: bytes
    url: str
    nonce: str
    jwk: josepy.JWK | None
    kid: str | None
    jws: Any

    def json(self) -> dict[str, Any]:
        """The payload as a JSON object ({} for an empty POST)."""
        if not self.payload:
            return {}
        try:
            value = json.loads(self.payload)
        except ValueError:
            raise Problem("malformed", "failed to unmarshal payload") from None
        if not isinstance(value, dict):
            raise Problem("malformed", "payload is not a JSON object")
        return value


def parse(body: bytes) -> Signed:
    """The JWS's protected header and payload; signature not checked yet (see `verify`)."""
    alg = _protected_alg(body)
    if alg is not None and alg not in ALLOWED_ALGS:  # before josepy, which rejects unknown ones
        raise Problem("badSignatureAlgorithm", f"unsuitable algorithm: {alg}")
    try:
        parsed = acme_jws.JWS.json_loads(body)
    except Exception:  # noqa: BLE001 - josepy raises several kinds for bad input
        raise Problem("malformed", "failed to parse JWS") from None
    if len(parsed.signatures) != 1:
        raise Problem("malformed", "request body does not contain exactly one signature")
    sig = parsed.signatures[0]
    if sig.header != acme_jws.Header():  # RFC 8555 6.2: everything goes in the protected header
        raise Problem("malformed", "unprotected header must not be used")
    header = sig.combined
    alg = header.alg.name if header.alg is not None else ""
    if alg not in ALLOWED_ALGS:
        raise Problem("badSignatureAlgorithm", f"unsuitable algorithm: {alg or 'none'}")
    if header.jwk is not None and header.kid is not None:
        raise Problem("malformed", "jwk and kid are mutually exclusive")
    if header.nonce is None:
        raise Problem("badNonce", "jws missing nonce protected header")
    # the nonce is used up, then the url checked (in that order, as smallstep), by the caller
    return Signed(parsed.payload, header.url or "", josepy.b64encode(header.nonce).decode(), header.jwk,
                  header.kid, parsed)


def parse_inner(body: bytes) -> Signed:
    """The inner JWS of a key change: signed by the new key (`jwk`), no nonce."""
    try:
        parsed = acme_jws.JWS.json_loads(body)
    except Exception:  # noqa: BLE001
        raise Problem("malformed", "failed to parse inner JWS") from None
    header = parsed.signature.combined
    if header.jwk is None or header.kid is not None or header.nonce is not None:
        raise Problem("malformed", "inner JWS must carry jwk, and neither kid nor nonce")
    return Signed(parsed.payload, header.url or "", "", header.jwk, None, parsed)


def _protected_alg(body: bytes) -> str | None:
    try:
        outer = json.loads(body)
        header = json.loads(josepy.b64decode(outer["protected"]))
        alg = header.get("alg")
    except Exception:  # noqa: BLE001 - malformed: josepy's parse reports it
        return None
    return alg if isinstance(alg, str) else None


def verify(signed: Signed, key: josepy.JWK) -> None:
    try:
        ok = signed.jws.verify(key)
    except Exception:  # noqa: BLE001
        ok = False
    if not ok:
        raise Problem("malformed", "jws verification failed")


def thumbprint(key: josepy.JWK) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url: the account-key half of key authorizations."""
    from cryptography.hazmat.primitives import hashes

    return josepy.b64encode(key.thumbprint(hash_function=hashes.SHA256)).decode()
