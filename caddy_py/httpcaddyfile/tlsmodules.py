"""Caddyfile parsers of the TLS guest modules (Caddy's modules/caddytls): issuers (acme, internal,
zerossl), certificate getters and the on-demand permission; client auth lives in clientauth.py.
"""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, format_duration, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.routes import json_module_object
from caddy_py.httpcaddyfile.tlsmodels import (
    ACMEIssuer,
    DNSChallengeConfig,
    GenericIssuer,
    InternalIssuer,
    PortChallengeConfig,
)


def _one(d: Dispenser) -> str:
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    return args[0]


def _duration(d: Dispenser, text: str, what: str, allow_minus_one: bool = False) -> int:
    if allow_minus_one and text == "-1":
        return -1
    try:
        return parse_duration(text)
    except GoValueError as e:
        raise d.err(f"invalid {what} {text}: {e}") from None


def _port(d: Dispenser) -> int:
    if not d.next_arg():
        raise d.arg_err()
    try:
        return atoi(d.val())
    except GoValueError as e:
        raise d.err(f"invalid port {d.val()}: {e}") from None


def dns_provider(d: Dispenser) -> dict:
    """`dns <provider> ...` (cursor on the provider name): its JSON with the "name" key."""
    name = d.val()
    return json_module_object(unmarshal_module(d, "dns.providers." + name), "name", name)


def parse_dns_option(d: Dispenser, cfg: DNSChallengeConfig, sub: str) -> bool:
    """The DNS challenge settings shared by the acme and zerossl issuers; False if `sub` is not one."""
    if sub == "propagation_delay":
        if not d.next_arg():
            raise d.arg_err()
        cfg.propagation_delay = _duration(d, d.val(), "propagation_delay duration")
    elif sub == "propagation_timeout":
        if not d.next_arg():
            raise d.arg_err()
        cfg.propagation_timeout = _duration(d, d.val(), "propagation_timeout duration", True)
    elif sub == "resolvers":
        cfg.resolvers = d.remaining_args()
        if not cfg.resolvers:
            raise d.arg_err()
    elif sub == "dns_ttl":
        if not d.next_arg():
            raise d.arg_err()
        cfg.ttl = _duration(d, d.val(), "dns_ttl duration")
    else:
        return False
    return True


def parse_preferred_chains(d: Dispenser) -> dict:
    """caddytls.ParseCaddyfilePreferredChainsOptions (cursor on the option name)."""
    pref: dict[str, Any] = {}
    if d.next_arg():
        if d.val() != "smallest":
            raise d.err(f"Invalid argument '{d.val()}'")
        pref["smallest"] = True
        if d.next_arg():
            raise d.arg_err()
        if d.next_block(d.nesting):
            raise d.err("No more options are accepted when using the 'smallest' option")
    nesting = d.nesting
    while d.next_block(nesting):
        key = d.val()
        if key not in ("root_common_name", "any_common_name"):
            raise d.err(f"Received unrecognized parameter '{key}'")
        args = d.remaining_args()
        pref.setdefault(key, []).extend(args)
        if not args:
            raise d.arg_err()
        other = "any_common_name" if key == "root_common_name" else "root_common_name"
        if other in pref:
            raise d.err(f"Can't set {key} when {other} is already set")
    if not pref:
        raise d.err("No options for preferred_chains received")
    return {k: pref[k] for k in ("smallest", "root_common_name", "any_common_name") if k in pref}


@module_parser("tls.issuance.acme")
def parse_acme_issuer(d: Dispenser) -> ACMEIssuer:
    d.next()
    iss = ACMEIssuer()
    if d.next_arg():
        iss.ca = d.val()
        if d.next_arg():
            raise d.arg_err()
    while d.next_block(0):
        sub = d.val()
        if sub == "lifetime":
            text = _one(d)
            lifetime = _duration(d, text, "lifetime")
            if lifetime < 0:
                raise d.err(f"lifetime must be >= 0: {format_duration(lifetime)}")
            iss.certificate_lifetime = lifetime
        elif sub == "dir":
            if iss.ca:
                raise d.err(f"directory is already specified: {iss.ca}")
            iss.ca = _one(d)
        elif sub == "test_dir":
            iss.test_ca = _one(d)
        elif sub == "email":
            iss.email = _one(d)
        elif sub == "profile":
            iss.profile = _one(d)
        elif sub == "timeout":
            text = _one(d)
            iss.acme_timeout = _duration(d, text, "timeout duration")
        elif sub in ("disable_http_challenge", "disable_tlsalpn_challenge"):
            if d.next_arg():
                raise d.arg_err()
            ch = iss.challenges_cfg()
            if sub == "disable_http_challenge":
                ch.http = ch.http or PortChallengeConfig()
                ch.http.disabled = True
            else:
                ch.tls_alpn = ch.tls_alpn or PortChallengeConfig()
                ch.tls_alpn.disabled = True
        elif sub == "distributed":
            if not d.next_arg():
                raise d.arg_err()
            if d.val() != "false":
                raise d.err("only accepted value is 'false'")
            ch = iss.challenges_cfg()
            if ch.distributed is None:
                ch.distributed = False
        elif sub in ("alt_http_port", "alt_tlsalpn_port"):
            port = _port(d)
            ch = iss.challenges_cfg()
            if sub == "alt_http_port":
                ch.http = ch.http or PortChallengeConfig()
                ch.http.alternate_port = port
            else:
                ch.tls_alpn = ch.tls_alpn or PortChallengeConfig()
                ch.tls_alpn.alternate_port = port
        elif sub == "eab":
            args = d.all_args(2)
            if args is None:
                raise d.arg_err()
            iss.external_account = {"key_id": args[0], "mac_key": args[1]}
        elif sub == "trusted_roots":
            iss.trusted_roots_pem_files = d.remaining_args() or None
        elif sub == "dns":
            cfg = iss.dns_cfg()
            if d.next_arg():
                cfg.provider = dns_provider(d)
        elif sub in ("propagation_delay", "propagation_timeout", "resolvers", "dns_ttl"):
            parse_dns_option(d, iss.dns_cfg(), sub)
        elif sub == "dns_challenge_override_domain":
            args = d.remaining_args()
            if len(args) != 1:
                raise d.arg_err()
            iss.dns_cfg().override_domain = args[0]
        elif sub == "preferred_chains":
            iss.preferred_chains = parse_preferred_chains(d)
        else:
            raise d.err(f"unrecognized ACME issuer property: {sub}")
    return iss


@module_parser("tls.issuance.internal")
def parse_internal_issuer(d: Dispenser) -> InternalIssuer:
    d.next()
    iss = InternalIssuer()
    while d.next_block(0):
        sub = d.val()
        if sub == "ca":
            iss.ca = _one(d)
        elif sub == "lifetime":
            if not d.next_arg():
                raise d.arg_err()
            try:
                iss.lifetime = parse_duration(d.val())
            except GoValueError as e:  # returned as is by Go, without a position
                raise CaddyfileError(str(e)) from None
        elif sub == "sign_with_root":
            if d.next_arg():
                raise d.arg_err()
            iss.sign_with_root = True
        else:
            raise d.err(f"unrecognized subdirective '{sub}'")
    return iss


@module_parser("tls.issuance.zerossl")
def parse_zerossl_issuer(d: Dispenser) -> GenericIssuer:
    d.next()
    if not d.next_arg():
        raise d.arg_err()
    out: dict[str, Any] = {"api_key": d.val()}
    if d.next_arg():
        raise d.arg_err()
    cname: DNSChallengeConfig | None = None
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub == "validity_days":
            if out.get("validity_days"):
                raise d.err(f"validity days is already specified: {out['validity_days']}")
            try:
                out["validity_days"] = atoi(d.val())
            except GoValueError as e:
                raise d.err(f"invalid number of days {d.val()}: {e}") from None
        elif sub == "alt_http_port":
            out["alternate_http_port"] = _port(d)
        elif sub == "dns":
            if not d.next_arg():
                raise d.arg_err()
            cname = cname or DNSChallengeConfig()
            cname.provider = dns_provider(d)
        elif sub in ("propagation_delay", "propagation_timeout", "resolvers", "dns_ttl"):
            cname = cname or DNSChallengeConfig()
            parse_dns_option(d, cname, sub)
        else:
            raise d.err(f"unrecognized zerossl issuer property: {sub}")
    if cname is not None:
        out["cname_validation"] = cname.to_json()
    return GenericIssuer("zerossl", out)


@module_parser("tls.get_certificate.http")
def parse_http_cert_getter(d: Dispenser) -> dict:
    d.next()
    if not d.next_arg():
        raise d.arg_err()
    url = d.val()
    if d.next_arg():
        raise d.arg_err()
    if d.next_block(0):
        raise d.err("block not allowed here")
    return {"url": url}


@module_parser("tls.get_certificate.tailscale")
def parse_tailscale_getter(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    return {}


@module_parser("tls.permission.http")
def parse_permission_http(d: Dispenser) -> dict:
    if not d.next():
        return {}
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    return {"endpoint": args[0]}
