"""The `pki` global option and the PKI app (Caddy's pkiapp.go): certificate authorities from
the option and from `acme_server` sites ("pki.ca" values), with skip_install_trust applied.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_duration, parse_float
from caddy_py.httpcaddyfile.registry import global_option
from caddy_py.httpcaddyfile.tlsmodels import InternalIssuer

DEFAULT_CA_ID = "local"


@dataclass
class KeyPair:
    certificate: str = ""
    private_key: str = ""
    format: str = ""

    def to_json(self) -> dict:
        return {k: v for k, v in (("certificate", self.certificate), ("private_key", self.private_key),
                                  ("format", self.format)) if v}


@dataclass
class CA:
    """caddypki.CA; `id` is its key in the app's map. The value of "pki.ca" ConfigValues."""

    id: str = ""
    name: str = ""
    root_common_name: str = ""
    intermediate_common_name: str = ""
    intermediate_lifetime: int = 0
    install_trust: bool | None = None
    root: KeyPair | None = None
    intermediate: KeyPair | None = None
    maintenance_interval: int = 0
    renewal_window_ratio: float = 0.0
    storage: dict | None = None

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        for k in ("name", "root_common_name", "intermediate_common_name", "intermediate_lifetime"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        if self.install_trust is not None:
            out["install_trust"] = self.install_trust
        if self.root is not None:
            out["root"] = self.root.to_json()
        if self.intermediate is not None:
            out["intermediate"] = self.intermediate.to_json()
        for k in ("maintenance_interval", "renewal_window_ratio", "storage"):
            if getattr(self, k):
                out[k] = getattr(self, k)
        return out


def _arg(d: Dispenser) -> str:
    if not d.next_arg():
        raise d.arg_err()
    return d.val()


def _key_pair(d: Dispenser, what: str) -> KeyPair:
    kp = KeyPair()
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub == "cert":
            kp.certificate = _arg(d)
        elif sub == "key":
            kp.private_key = _arg(d)
        elif sub == "format":
            kp.format = _arg(d)
        else:
            raise d.err(f"unrecognized pki ca {what} option '{sub}'")
    return kp


def _duration(d: Dispenser, text: str) -> int:
    try:
        return parse_duration(text)
    except GoValueError as e:  # Go returns this error as is, without a position
        raise CaddyfileError(str(e)) from None


@global_option("pki")
def parse_pki_app(d: Dispenser, existing: Any) -> dict[str, CA]:
    d.next()
    cas: dict[str, CA] = {}
    while d.next_block(0):
        if d.val() != "ca":
            raise d.err(f"unrecognized pki option '{d.val()}'")
        ca = CA()
        if d.next_arg():
            ca.id = d.val()
            if d.next_arg():
                raise d.arg_err()
        ca.id = ca.id or DEFAULT_CA_ID
        nesting = d.nesting
        while d.next_block(nesting):
            sub = d.val()
            if sub == "name":
                ca.name = _arg(d)
            elif sub == "root_cn":
                ca.root_common_name = _arg(d)
            elif sub == "intermediate_cn":
                ca.intermediate_common_name = _arg(d)
            elif sub == "intermediate_lifetime":
                ca.intermediate_lifetime = _duration(d, _arg(d))
            elif sub == "maintenance_interval":
                ca.maintenance_interval = _duration(d, _arg(d))
            elif sub == "renewal_window_ratio":
                text = _arg(d)
                try:
                    ratio = parse_float(text)
                except GoValueError:
                    ratio = -1.0
                if ratio <= 0 or ratio > 1:
                    raise d.err(f"renewal_window_ratio must be a number in (0, 1], got {text}")
                ca.renewal_window_ratio = ratio
            elif sub == "root":
                ca.root = _key_pair(d, "root") if ca.root is None else _merge(ca.root, _key_pair(d, "root"))
            elif sub == "intermediate":
                new = _key_pair(d, "intermediate")
                ca.intermediate = new if ca.intermediate is None else _merge(ca.intermediate, new)
            else:
                raise d.err(f"unrecognized pki ca option '{sub}'")
        cas[ca.id] = ca
    return cas


def _merge(old: KeyPair, new: KeyPair) -> KeyPair:
    return KeyPair(new.certificate or old.certificate, new.private_key or old.private_key, new.format or old.format)


def build_pki_app(pairings: list[Any], options: dict[str, Any], warnings: list[Any]) -> tuple[dict | None, list[Any]]:
    """(the "pki" app JSON, or None when it has no CAs; warnings)."""
    skip_trust = "skip_install_trust" in options
    auto_https_off = "off" in (options.get("auto_https") or [])
    cas: dict[str, CA] = dict(options.get("pki") or {})
    for ca in cas.values():
        if skip_trust:
            ca.install_trust = False
    for p in pairings:
        for sb in p.server_blocks:
            for cv in sb.pile.get("pki.ca", []):
                ca = cv.value
                if skip_trust:
                    ca.install_trust = False
                cas.setdefault(ca.id, ca)
    if not cas and skip_trust and not auto_https_off:
        cas[DEFAULT_CA_ID] = CA(id=DEFAULT_CA_ID, install_trust=False)
    if skip_trust:
        # caddy 2.11.7 (newer than the Go snapshot): the CAs behind sites' internal issuers
        # also get install_trust off (verified against the binary)
        for p in pairings:
            for sb in p.server_blocks:
                for cv in sb.pile.get("tls.cert_issuer", []):
                    if isinstance(cv.value, InternalIssuer):
                        ca_id = cv.value.ca or DEFAULT_CA_ID
                        cas.setdefault(ca_id, CA(id=ca_id, install_trust=False))
    if not cas:
        return None, warnings
    return {"certificate_authorities": {k: cas[k].to_json() for k in sorted(cas)}}, warnings
