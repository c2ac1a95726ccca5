"""The ACME API of one CA: directory, nonces, accounts, orders, authorizations, challenges,
finalize, certificate download and revocation (RFC 8555 section 7).

Every POST is a JWS (jws.py) whose nonce and URL are checked first; errors are ACME problem
documents (problems.py). Challenge validation runs when the client asks for it and answers
with the outcome (valid, or invalid with the error), so clients polling see it at once.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import logging
from typing import Any

import josepy
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from caddy_py.http.request import Request
from caddy_py.modules.acme_server import csr as csrs
from caddy_py.modules.acme_server import jws
from caddy_py.modules.acme_server.policy import Policy
from caddy_py.modules.acme_server.problems import Problem
from caddy_py.modules.acme_server.state import (AUTHZ_LIFETIME, Account, Authorization, Challenge,
                                                IssuedCert, Order, Store, new_id, now, rfc3339)
from caddy_py.modules.acme_server.validation import validate
from caddy_py.modules.request_body.handler import read_body
from caddy_py.tls.localca import LocalCA

LOG = logging.getLogger("http.handlers.acme_server")
JOSE = "application/jose+json"
MIN_LIFETIME = dt.timedelta(minutes=5)
MAX_LIFETIME = dt.timedelta(days=365)


def _json(status: int, body: Any, headers: dict[str, str], ctype: str = "application/json") -> web.Response:
    headers["Content-Type"] = ctype  # as sent by smallstep: no charset parameter
    return web.Response(status=status, headers=headers, body=json.dumps(body, separators=(",", ":")).encode() + b"\n")


class ACMEAPI:
    def __init__(self, ca: LocalCA, store: Store, ca_id: str, challenges: list[str], policy: Policy,
                 lifetime: dt.timedelta, sign_with_root: bool, resolvers: list[tuple[str, int]]) -> None:
        self.ca = ca
        self.store = store
        self.ca_id = ca_id
        self.challenges = challenges
        self.policy = policy
        self.lifetime = lifetime
        self.sign_with_root = sign_with_root
        self.resolvers = resolvers

    # -- routing -------------------------------------------------------------------------
    async def dispatch(self, req: Request, base: str, parts: list[str]) -> web.StreamResponse:
        method = req.method
        name = parts[0]
        headers = {"Link": f'<{base}/directory>;rel="index"'}
        if name == "directory" and len(parts) == 1 and method in ("GET", "HEAD"):
            return _json(200, self._directory(base), {})
        if name == "new-nonce" and len(parts) == 1 and method in ("GET", "HEAD"):
            headers.update({"Cache-Control": "no-store", "Replay-Nonce": self.store.new_nonce()})
            return web.Response(status=200 if method == "HEAD" else 204, headers=headers)
        route = self._route(parts)
        if route is None:
            return web.Response(status=404, text="404 page not found\n", headers={"X-Content-Type-Options": "nosniff"})
        if method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})  # chi's answer: no body
        headers["Cache-Control"] = "no-store"
        try:
            ctype = req.headers.get("Content-Type", "")
            if ctype.split(";")[0].strip().lower() != JOSE:
                raise Problem("malformed", f"expected content-type to be {JOSE}, but saw {ctype}")
            signed = jws.parse(await read_body(req))
            if not self.store.use_nonce(signed.nonce):
                raise Problem("badNonce", "the nonce is invalid or has already been used")
            url = f"{base}/{'/'.join(parts)}"
            if not signed.url:
                raise Problem("malformed", "jws missing url protected header")
            if signed.url != url:
                raise Problem("unauthorized", f"url header in JWS ({signed.url}) does not match request url ({url})")
            status, body, extra = await route(base, parts, signed)
        except Problem as p:
            LOG.info("acme request failed", extra={"caddy_fields": {
                "path": req.path, "type": p.kind, "error": p.detail}})
            headers["Replay-Nonce"] = self.store.new_nonce()
            return _json(p.status, p.document(), headers, "application/problem+json")
        headers["Replay-Nonce"] = self.store.new_nonce()
        headers.update(extra)
        if isinstance(body, bytes):
            headers["Content-Type"] = "application/pem-certificate-chain"
            return web.Response(status=status, headers=headers, body=body)
        if body is None:
            return web.Response(status=status, headers=headers)
        return _json(status, body, headers)

    def _route(self, parts: list[str]) -> Any:
        n = len(parts)
        head = parts[0]
        table = {("new-account", 1): self._new_account, ("account", 2): self._account,
                 ("account", 3): self._account_orders, ("new-order", 1): self._new_order,
                 ("order", 2): self._order, ("order", 3): self._finalize, ("authz", 2): self._authz,
                 ("challenge", 3): self._challenge, ("certificate", 2): self._certificate,
                 ("key-change", 1): self._key_change, ("revoke-cert", 1): self._revoke}
        if n == 3 and parts[2] != {"account": "orders", "order": "finalize"}.get(head, parts[2]):
            return None  # account/ID/orders and order/ID/finalize only
        return table.get((head, n))

    def _directory(self, base: str) -> dict[str, str]:
        return {"newNonce": f"{base}/new-nonce", "newAccount": f"{base}/new-account",
                "newOrder": f"{base}/new-order", "revokeCert": f"{base}/revoke-cert",
                "keyChange": f"{base}/key-change"}

    # -- accounts ------------------------------------------------------------------------
    def _signer(self, base: str, signed: jws.Signed) -> Account:
        """The account a `kid`-signed request comes from, its signature checked."""
        if signed.kid is None:
            raise Problem("malformed", "kid does not have required prefix; expected "
                          f"{base}/account/, but got <empty>")
        prefix = f"{base}/account/"
        if not signed.kid.startswith(prefix):
            raise Problem("malformed", f"kid does not have required prefix; expected {prefix}, but got {signed.kid}")
        acct = self.store.accounts.get(signed.kid[len(prefix):])
        if acct is None:
            raise Problem("accountDoesNotExist", "account with ID '%s' not found" % signed.kid[len(prefix):])
        if acct.status != "valid":
            raise Problem("unauthorized", f"account is not active - status = {acct.status}")
        jws.verify(signed, acct.key)
        return acct

    def _account_json(self, base: str, a: Account) -> dict[str, Any]:
        out: dict[str, Any] = {"status": a.status, "orders": f"{base}/account/{a.id}/orders"}
        if a.contact:
            out["contact"] = a.contact
        return out

    async def _new_account(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        if signed.jwk is None:
            raise Problem("malformed", "jwk expected in protected header")
        jws.verify(signed, signed.jwk)
        payload = signed.json()
        contact = payload.get("contact") or []
        if not isinstance(contact, list) or not all(isinstance(c, str) for c in contact):
            raise Problem("malformed", "contact must be a list of strings")
        for c in contact:
            if not c.startswith("mailto:") or "@" not in c:
                raise Problem("invalidContact", f"contact '{c}' is not a valid mailto: URI")
        thumb = jws.thumbprint(signed.jwk)
        existing = self.store.by_thumbprint.get(thumb)
        if existing is not None:
            acct = self.store.accounts[existing]
            return 200, self._account_json(base, acct), {"Location": f"{base}/account/{acct.id}"}
        if payload.get("onlyReturnExisting"):
            raise Problem("accountDoesNotExist", "account does not exist")
        acct = Account(new_id(), signed.jwk, thumb, contact)
        self.store.accounts[acct.id] = acct
        self.store.by_thumbprint[thumb] = acct.id
        return 201, self._account_json(base, acct), {"Location": f"{base}/account/{acct.id}"}

    async def _account(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        if acct.id != parts[1]:
            raise Problem("unauthorized", "account ID mismatch")
        payload = signed.json()
        if payload.get("status") == "deactivated":
            acct.status = "deactivated"
        elif "status" in payload:
            raise Problem("malformed", f"cannot update account status to {payload['status']}, only deactivated")
        elif "contact" in payload:
            contact = payload["contact"]
            if not isinstance(contact, list) or not all(isinstance(c, str) for c in contact):
                raise Problem("malformed", "contact must be a list of strings")
            acct.contact = contact
        return 200, self._account_json(base, acct), {"Location": f"{base}/account/{acct.id}"}

    async def _account_orders(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        if acct.id != parts[1]:
            raise Problem("unauthorized", "account ID mismatch")
        live = [o for o in acct.orders if self._refresh(self.store.orders[o]).status in ("pending", "ready")]
        return 200, {"orders": [f"{base}/order/{o}" for o in live]}, {}

    async def _key_change(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        """RFC 8555 7.3.5: the payload is a JWS by the new key naming the account and old key."""
        acct = self._signer(base, signed)
        inner = jws.parse_inner(signed.payload)
        if inner.url != signed.url:
            raise Problem("malformed", "url of inner JWS does not match the outer JWS")
        jws.verify(inner, inner.jwk)
        payload = inner.json()
        if payload.get("account") != signed.kid:
            raise Problem("malformed", "account URL in the key change does not match the JWS kid")
        try:
            old = josepy.JWK.from_json(payload.get("oldKey"))
        except Exception:  # noqa: BLE001 - not a JWK
            raise Problem("malformed", "unable to parse oldKey") from None
        if jws.thumbprint(old) != acct.thumbprint:
            raise Problem("unauthorized", "old key does not match the account key")
        thumb = jws.thumbprint(inner.jwk)
        other = self.store.by_thumbprint.get(thumb)
        if other is not None:
            raise Problem("malformed", "the new key is already in use by an account", status=409)
        del self.store.by_thumbprint[acct.thumbprint]
        acct.key, acct.thumbprint = inner.jwk, thumb
        self.store.by_thumbprint[thumb] = acct.id
        return 200, self._account_json(base, acct), {"Location": f"{base}/account/{acct.id}"}

    # -- orders and authorizations -------------------------------------------------------
    def _identifier(self, ident: Any) -> tuple[str, str]:
        if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
            raise Problem("malformed", "identifier must be an object with type and value")
        kind, value = ident.get("type"), ident["value"]
        if kind == "ip":
            try:
                value = str(ipaddress.ip_address(value))
            except ValueError:
                raise Problem("malformed", f"invalid IP address: {value}") from None
        elif kind == "dns":
            value = value.lower()
            if not value or " " in value or value.endswith("."):
                raise Problem("malformed", f"invalid DNS name: {value}")
        else:
            raise Problem("unsupportedIdentifier", f"identifier type unsupported: {kind}")
        why = self.policy.check(kind, value)
        if why is not None:
            raise Problem("rejectedIdentifier", f"not authorized: {why}")
        return kind, value

    def _time(self, payload: dict[str, Any], key: str) -> dt.datetime | None:
        value = payload.get(key)
        if not value:
            return None
        try:
            return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(dt.timezone.utc)
        except ValueError:
            raise Problem("malformed", f"invalid {key}: {value}") from None

    async def _new_order(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        payload = signed.json()
        idents = payload.get("identifiers")
        if not isinstance(idents, list) or not idents:
            raise Problem("malformed", "identifiers list cannot be empty")
        checked = list(dict.fromkeys(self._identifier(i) for i in idents))
        t = now()
        not_before = self._time(payload, "notBefore") or t - csrs.BACKDATE
        not_after = self._time(payload, "notAfter") or not_before + self.lifetime + (
            csrs.BACKDATE if "notBefore" not in payload else dt.timedelta())
        if not_after <= not_before:
            raise Problem("malformed", "notAfter must be after notBefore")
        span = not_after - not_before
        if span < MIN_LIFETIME or span > MAX_LIFETIME:  # the provisioner's claims in Caddy
            raise Problem("malformed", f"requested certificate duration {span} is outside "
                          f"[{MIN_LIFETIME}, {MAX_LIFETIME}]")
        authz_ids = [self._new_authz(acct, kind, value, t) for kind, value in checked]
        order = Order(new_id(), acct.id, [{"type": k, "value": v} for k, v in checked], t + AUTHZ_LIFETIME,
                      not_before, not_after, authz_ids)
        self.store.orders[order.id] = order
        acct.orders.append(order.id)
        return 201, self._order_json(base, order), {"Location": f"{base}/order/{order.id}"}

    def _new_authz(self, acct: Account, kind: str, value: str, t: dt.datetime) -> str:
        wildcard = kind == "dns" and value.startswith("*.")
        if wildcard:
            offered = ["dns-01"]
        elif kind == "ip":
            offered = ["http-01", "tls-alpn-01"]
        else:
            offered = ["http-01", "dns-01", "tls-alpn-01"]
        offered = [c for c in offered if c in self.challenges]
        if not offered:
            raise Problem("rejectedIdentifier", f"no challenge type configured can validate {value}")
        authz = Authorization(new_id(), acct.id, kind, value[2:] if wildcard else value, wildcard,
                              t + AUTHZ_LIFETIME, [])
        for typ in offered:
            ch = Challenge(new_id(), authz.id, typ, new_id(32))
            authz.challenges.append(ch)
            self.store.challenges[ch.id] = ch
        self.store.authzs[authz.id] = authz
        return authz.id

    def _refresh(self, order: Order) -> Order:
        """Bring an order's status up to date with its authorizations and its expiry."""
        if order.status in ("pending", "ready"):
            authzs = [self.store.authzs[a] for a in order.authz_ids]
            if now() > order.expires:
                order.status = "invalid"
            elif any(a.status == "invalid" for a in authzs):
                order.status = "invalid"
            elif all(a.status == "valid" for a in authzs):
                order.status = "ready"
        return order

    def _order_json(self, base: str, order: Order) -> dict[str, Any]:
        self._refresh(order)
        out: dict[str, Any] = {
            "status": order.status, "expires": rfc3339(order.expires), "identifiers": order.identifiers,
            "notBefore": rfc3339(order.not_before), "notAfter": rfc3339(order.not_after),
            "authorizations": [f"{base}/authz/{a}" for a in order.authz_ids],
            "finalize": f"{base}/order/{order.id}/finalize"}
        if order.error is not None:
            out["error"] = order.error
        if order.certificate_id is not None:
            out["certificate"] = f"{base}/certificate/{order.certificate_id}"
        return out

    def _owned(self, table: dict[str, Any], key: str, acct: Account, what: str) -> Any:
        obj = table.get(key)
        if obj is None:
            raise Problem("malformed", f"{what} {key} not found", status=404)
        if obj.account_id != acct.id:
            raise Problem("unauthorized", f"account '{acct.id}' does not own {what} '{key}'")
        return obj

    async def _order(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        order = self._owned(self.store.orders, parts[1], acct, "order")
        return 200, self._order_json(base, order), {"Location": f"{base}/order/{order.id}"}

    def _authz_json(self, base: str, a: Authorization) -> dict[str, Any]:
        if a.status == "pending" and now() > a.expires:
            a.status = "expired"
        out: dict[str, Any] = {"identifier": {"type": a.kind, "value": a.value}, "status": a.status,
                               "expires": rfc3339(a.expires),
                               "challenges": [self._challenge_json(base, c) for c in a.challenges]}
        if a.wildcard:
            out["wildcard"] = True
        return out

    def _challenge_json(self, base: str, c: Challenge) -> dict[str, Any]:
        out: dict[str, Any] = {"type": c.type, "status": c.status, "token": c.token,
                               "url": f"{base}/challenge/{c.authz_id}/{c.id}"}
        if c.validated is not None:
            out["validated"] = rfc3339(c.validated)
        if c.error is not None:
            out["error"] = c.error
        return out

    async def _authz(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        authz = self._owned(self.store.authzs, parts[1], acct, "authz")
        return 200, self._authz_json(base, authz), {"Location": f"{base}/authz/{authz.id}"}

    async def _challenge(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        authz = self._owned(self.store.authzs, parts[1], acct, "authz")
        ch = next((c for c in authz.challenges if c.id == parts[2]), None)
        if ch is None:
            raise Problem("malformed", f"challenge {parts[2]} not found", status=404)
        up = {"Link": f'<{base}/directory>;rel="index", <{base}/authz/{authz.id}>;rel="up"',
              "Location": f"{base}/challenge/{authz.id}/{ch.id}"}
        if signed.payload.strip() and ch.status == "pending" and authz.status == "pending":
            await self._validate(acct, authz, ch)
        return 200, self._challenge_json(base, ch), up

    async def _validate(self, acct: Account, authz: Authorization, ch: Challenge) -> None:
        ch.status = "processing"
        ka = f"{ch.token}.{acct.thumbprint}"
        try:
            await validate(ch.type, authz.kind, authz.value, ch.token, ka, self.resolvers)
        except Problem as p:
            ch.status, ch.error = "invalid", p.document()
            authz.status = "invalid"
            LOG.info("challenge failed", extra={"caddy_fields": {
                "identifier": authz.value, "challenge_type": ch.type, "error": p.detail}})
            return
        ch.status, ch.validated = "valid", now()
        authz.status = "valid"

    # -- finalize and certificates -------------------------------------------------------
    async def _finalize(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        order = self._refresh(self._owned(self.store.orders, parts[1], acct, "order"))
        loc = {"Location": f"{base}/order/{order.id}"}
        if order.status == "valid":
            return 200, self._order_json(base, order), loc
        if order.status != "ready":
            raise Problem("orderNotReady", f"order {order.id} is not ready")
        csr = csrs.parse_csr(signed.json().get("csr"))
        csrs.check_csr(csr, order.identifiers)
        chain, serial = csrs.sign(self.ca, csr, order.identifiers, order.not_before, order.not_after,
                                  self.sign_with_root)
        cert = IssuedCert(new_id(), acct.id, chain, serial)
        self.store.certs[cert.id] = cert
        order.status, order.certificate_id = "valid", cert.id
        LOG.info("certificate issued", extra={"caddy_fields": {
            "identifiers": [i["value"] for i in order.identifiers], "serial": str(serial)}})
        return 200, self._order_json(base, order), loc

    async def _certificate(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        acct = self._signer(base, signed)
        cert = self._owned(self.store.certs, parts[1], acct, "certificate")
        return 200, cert.chain_pem, {}

    async def _revoke(self, base: str, parts: list[str], signed: jws.Signed) -> Any:
        payload = signed.json()
        try:
            leaf = x509.load_der_x509_certificate(josepy.b64decode(payload.get("certificate") or ""))
        except Exception:  # noqa: BLE001
            raise Problem("malformed", "unable to parse certificate") from None
        cert = next((c for c in self.store.certs.values() if c.serial == leaf.serial_number), None)
        if cert is None:
            raise Problem("malformed", "certificate not found", status=404)
        if signed.jwk is not None:  # signed by the certificate's key
            jws.verify(signed, signed.jwk)
            leaf_jwk = josepy.JWK.load(leaf.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
            if jws.thumbprint(signed.jwk) != jws.thumbprint(leaf_jwk):
                raise Problem("unauthorized", "verification of jws using certificate public key failed")
        elif self._signer(base, signed).id != cert.account_id:
            raise Problem("unauthorized", "account was not authorized to revoke the certificate")
        if cert.revoked:
            raise Problem("alreadyRevoked", f"certificate with serial number '{cert.serial}' is already revoked")
        cert.revoked = True
        return 200, None, {}
