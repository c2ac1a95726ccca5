"""The ACME server's objects (accounts, orders, authorizations, challenges, certificates, nonces).

Kept in memory, one store per CA and storage root, shared by every acme_server handler of that
CA and across config reloads; Caddy keeps the same in a bbolt database file under its data
directory (`acme_server/<ca>/db`), so unlike Caddy a restart forgets accounts and orders (the
CA's keys stay in storage; clients simply register again).
"""
from __future__ import annotations

import collections
import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

import josepy

NONCE_KEEP = 10_000  # outstanding nonces remembered; older ones become badNonce
AUTHZ_LIFETIME = dt.timedelta(hours=24)


def new_id(n: int = 24) -> str:
    return josepy.b64encode(os.urandom(n)).decode()


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def rfc3339(t: dt.datetime) -> str:
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Account:
    id: str
    key: Any  # josepy JWK
    thumbprint: str
    contact: list[str]
    status: str = "valid"
    orders: list[str] = field(default_factory=list)


@dataclass
class Challenge:
    id: str
    authz_id: str
    type: str
    token: str
    status: str = "pending"
    validated: dt.datetime | None = None
    error: dict[str, str] | None = None


@dataclass
class Authorization:
    id: str
    account_id: str
    kind: str  # "dns" or "ip"
    value: str
    wildcard: bool
    expires: dt.datetime
    challenges: list[Challenge]
    status: str = "pending"


@dataclass
class Order:
    id: str
    account_id: str
    identifiers: list[dict[str, str]]
    expires: dt.datetime
    not_before: dt.datetime
    not_after: dt.datetime
    authz_ids: list[str]
    status: str = "pending"
    certificate_id: str | None = None
    error: dict[str, str] | None = None


@dataclass
class IssuedCert:
    id: str
    account_id: str
    chain_pem: bytes
    serial: int
    revoked: bool = False


class Store:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.by_thumbprint: dict[str, str] = {}
        self.orders: dict[str, Order] = {}
        self.authzs: dict[str, Authorization] = {}
        self.challenges: dict[str, Challenge] = {}
        self.certs: dict[str, IssuedCert] = {}
        self._nonces: set[str] = set()
        self._nonce_order: collections.deque[str] = collections.deque()

    def new_nonce(self) -> str:
        nonce = new_id(16)
        self._nonces.add(nonce)
        self._nonce_order.append(nonce)
        while len(self._nonce_order) > NONCE_KEEP:
            self._nonces.discard(self._nonce_order.popleft())
        return nonce

    def use_nonce(self, nonce: str) -> bool:
        """True once for each nonce this server issued."""
        if nonce in self._nonces:
            self._nonces.discard(nonce)
            return True
        return False


STORES: dict[tuple[str, str], Store] = {}


def store_for(storage_root: str, ca_id: str) -> Store:
    key = (storage_root, ca_id)
    st = STORES.get(key)
    if st is None:
        st = STORES[key] = Store()
    return st
