"""The ACME issuer (`issuers: [{"module": "acme", ...}]`) on certbot's `acme` client library.

Runs in a worker thread (the library is blocking): account key and registration kept in storage
under `acme/<ca>/users/<email>/`, an order for one name, HTTP-01 (answered by every http
server, see challenges.py) or TLS-ALPN-01 (answered by the TLS listener), then the chain.
Supports `ca`, `email`, `external_account` (EAB), `trusted_roots_pem_files` (acme_ca_root) and
`challenges.{http,tls-alpn}.disabled`.
"""
from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

import josepy
import requests
from acme import challenges, client, messages
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caddy_py.tls import challenges as answers
from caddy_py.tls.storage import FileStorage

LOG = logging.getLogger("tls.obtain")
DEFAULT_CA = "https://acme-v02.api.letsencrypt.org/directory"
USER_AGENT = "caddy-py"


def issuer_key(cfg: dict[str, Any]) -> str:
    """certmagic's storage key for a CA: host and path of its directory URL."""
    u = urllib.parse.urlsplit(cfg.get("ca") or DEFAULT_CA)
    return (u.netloc + u.path.replace("/", "-")).replace(":", "-")


def _network_reason(exc: BaseException) -> str:
    """The OS-level reason under requests' wrapped errors ("connection refused"), else its text:
    requests/urllib3 messages ("HTTPConnectionPool(...): Max retries exceeded ...") say little."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror.lower()
        nested = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        todo.extend(x for x in nested if isinstance(x, BaseException))
    return str(exc)


def _pem_key(key: Any) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class ACMEIssuer:
    def __init__(self, cfg: dict[str, Any], storage: FileStorage) -> None:
        self.cfg = cfg
        self.storage = storage
        self.url = cfg.get("ca") or DEFAULT_CA
        self.email = cfg.get("email") or ""
        self.key_id = issuer_key(cfg)
        roots = cfg.get("trusted_roots_pem_files") or []
        self.verify: Any = roots[0] if roots else True
        ch = cfg.get("challenges") or {}
        self.http_ok = not (ch.get("http") or {}).get("disabled")
        self.alpn_ok = not (ch.get("tls-alpn") or {}).get("disabled")

    def _user_dir(self) -> tuple[str, ...]:
        who = self.email or "default"
        return ("acme", self.key_id, "users", who)

    def _account(self) -> client.ClientV2:
        d = self._user_dir()
        stored = self.storage.read(*d, "account.key")
        if stored is None:
            key = ec.generate_private_key(ec.SECP256R1())
            self.storage.write(_pem_key(key), *d, "account.key", private=True)
        else:
            key = serialization.load_pem_private_key(stored, None)
        jwk = josepy.JWKEC(key=key)
        net = client.ClientNetwork(jwk, alg=josepy.ES256, verify_ssl=self.verify, user_agent=USER_AGENT)
        try:
            directory = client.ClientV2.get_directory(self.url, net)
        except requests.RequestException as e:
            raise RuntimeError(f'provisioning client: performing request: Get "{self.url}": {_network_reason(e)}') from None
        acme = client.ClientV2(directory, net)
        eab = None
        ext = self.cfg.get("external_account") or {}
        if ext.get("key_id"):
            eab = messages.ExternalAccountBinding.from_data(
                account_public_key=jwk.public_key(), kid=ext["key_id"], hmac_key=ext.get("mac_key", ""),
                directory=directory)
        reg = messages.NewRegistration.from_data(
            email=self.email or None, terms_of_service_agreed=True, external_account_binding=eab)
        try:
            acme.net.account = acme.new_account(reg)
        except messages.Error as e:  # pragma: no cover - CAs answer 200 for an existing key
            raise RuntimeError(f"registering account with {self.url}: {e}") from None
        except Exception as e:  # noqa: BLE001 - "already registered" carries the account URL
            location = getattr(e, "location", None)
            if not location:
                raise
            acme.net.account = messages.RegistrationResource(uri=location, body=messages.Registration())
        self.storage.write(json.dumps({"email": self.email, "url": acme.net.account.uri}).encode(),
                           *d, "registration.json")
        return acme

    def obtain(self, name: str) -> tuple[bytes, bytes]:
        """(chain PEM, key PEM) for `name`. Blocking: call from a worker thread."""
        acme = self._account()
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
               .sign(key, hashes.SHA256()))
        order = acme.new_order(csr.public_bytes(serialization.Encoding.PEM))
        cleanup: list[Any] = []
        try:
            for authz in order.authorizations:
                if authz.body.status == messages.STATUS_VALID:
                    continue
                self._solve(acme, authz, cleanup)
            order = acme.poll_and_finalize(order)
        finally:
            for fn in cleanup:
                fn()
        return order.fullchain_pem.encode(), _pem_key(key)

    def _solve(self, acme: client.ClientV2, authz: messages.AuthorizationResource, cleanup: list[Any]) -> None:
        ident = authz.body.identifier.value
        thumb = josepy.b64encode(acme.net.key.thumbprint(hash_function=hashes.SHA256)).decode()
        for challb in authz.body.challenges:
            jobj = getattr(challb.chall, "jobj", None)  # a type the library does not model (tls-alpn-01)
            typ = jobj.get("type") if jobj is not None else challb.chall.typ
            token = jobj.get("token") if jobj is not None else None
            if token is None:
                token = josepy.b64encode(getattr(challb.chall, "token", b"")).decode()
            ka = f"{token}.{thumb}"
            if typ == "http-01" and self.http_ok:
                answers.HTTP_TOKENS[token] = ka
                cleanup.append(lambda t=token: answers.HTTP_TOKENS.pop(t, None))
            elif typ == "tls-alpn-01" and self.alpn_ok:
                answers.TLSALPN_CERTS[ident] = answers.tlsalpn_certificate(ident, ka)
                cleanup.append(lambda i=ident: answers.TLSALPN_CERTS.pop(i, None))
            else:
                continue
            LOG.info("trying to solve challenge", extra={"caddy_fields": {
                "identifier": ident, "challenge_type": typ, "ca": self.url}})
            acme.answer_challenge(challb, challenges.KeyAuthorizationChallengeResponse(key_authorization=ka))
            return
        raise RuntimeError(f"[{ident}] no enabled challenge type is offered by the CA")
