"""ACME error documents (RFC 8555 section 6.7): `urn:ietf:params:acme:error:TYPE` problems
sent as application/problem+json with the status and the fixed `detail` smallstep's CA (behind
Caddy's acme_server) uses for each type; the specific reason is logged, as there."""
from __future__ import annotations

STATUS = {
    "accountDoesNotExist": 400, "alreadyRevoked": 400, "badCSR": 400, "badNonce": 400,
    "badPublicKey": 400, "badRevocationReason": 400, "badSignatureAlgorithm": 400, "caa": 403,
    "compound": 403, "connection": 400, "dns": 400, "externalAccountRequired": 400,
    "incorrectResponse": 400, "invalidContact": 400, "malformed": 400, "orderNotReady": 403,
    "rateLimited": 429, "rejectedIdentifier": 400, "serverInternal": 500, "tls": 400,
    "unauthorized": 401, "unsupportedContact": 400, "unsupportedIdentifier": 400,
    "userActionRequired": 403,
}


DETAILS = {
    "accountDoesNotExist": "Account does not exist",
    "alreadyRevoked": "Certificate already revoked",
    "badCSR": "The CSR is unacceptable",
    "badNonce": "Unacceptable anti-replay nonce",
    "badPublicKey": "The jws was signed by a public key the server does not support",
    "badRevocationReason": "The revocation reason provided is not allowed by the server",
    "badSignatureAlgorithm": "The JWS was signed with an algorithm the server does not support",
    "connection": "The server could not connect to validation target",
    "dns": "There was a problem with a DNS query during identifier validation",
    "incorrectResponse": "Response received didn't match the challenge's requirements",
    "invalidContact": "A contact URL for an account was invalid",
    "malformed": "The request message was malformed",
    "orderNotReady": "The request attempted to finalize an order that is not ready to be finalized",
    "rejectedIdentifier": "The server will not issue certificates for the identifier",
    "serverInternal": "The server experienced an internal error",
    "tls": "The server received a TLS error during validation",
    "unauthorized": "The client lacks sufficient authorization",
    "unsupportedIdentifier": "An identifier is of an unsupported type",
}


class Problem(Exception):
    """An ACME error: raised anywhere while serving a request, answered as its document."""

    def __init__(self, kind: str, detail: str, status: int | None = None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.status = status or STATUS.get(kind, 400)

    def document(self) -> dict[str, str]:
        return {"type": f"urn:ietf:params:acme:error:{self.kind}", "detail": DETAILS.get(self.kind, self.detail)}
