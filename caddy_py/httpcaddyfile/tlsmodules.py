"""Caddyfile parsers of the TLS guest modules (Caddy's modules/caddytls): issuers (acme, internal,
zerossl), CA pool sources for client auth, certificate getters, on-demand permission, and the
`client_auth` block itself.
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
    ClientAuthentication,
    DNSChallengeConfig,
    GenericIssuer,
    InternalIssuer,
    PortChallengeConfig,
)
from caddy_py.httpcaddyfile.zaplog import zap_warn


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


def _pool_list(key: str, block_key: str, empty_msg: str, args_allowed: bool):
    def parse(d: Dispenser) -> dict:
        d.next()
        values: list[str] = []
        if args_allowed:
            values.extend(d.remaining_args())
        elif d.count_remaining_args() > 0:
            raise d.arg_err()
        nesting = d.nesting
        while d.next_block(nesting):
            if d.val() != block_key:
                raise d.err(f"unrecognized directive: {d.val()}")
            values.extend(d.remaining_args())
        if not values:
            raise d.err(empty_msg)
        return {key: values}

    return parse


module_parser("tls.ca_pool.source.inline")(_pool_list("trusted_ca_certs", "trust_der", "no certificates specified", False))
module_parser("tls.ca_pool.source.file")(_pool_list("pem_files", "pem_file", "no certificates specified", True))
module_parser("tls.ca_pool.source.pki_root")(_pool_list("authority", "authority", "no authorities specified", True))
module_parser("tls.ca_pool.source.pki_intermediate")(
    _pool_list("authority", "authority", "no authorities specified", True))


@module_parser("tls.ca_pool.source.system")
def parse_system_pool(d: Dispenser) -> dict:
    d.next()
    if d.count_remaining_args() > 0:
        raise d.arg_err()
    if d.next_block(0):
        raise d.err("system trust pool does not support any configuration")
    return {}


@module_parser("tls.ca_pool.source.combined")
def parse_combined_pool(d: Dispenser) -> dict:
    d.next()
    if d.count_remaining_args() > 0:
        raise d.arg_err()
    sources = []
    nesting = d.nesting
    while d.next_block(nesting):
        if d.val() != "source":
            raise d.err(f"unrecognized directive: {d.val()}")
        if not d.next_arg():
            raise d.arg_err()
        stem = d.val()
        sources.append(json_module_object(unmarshal_module(d, "tls.ca_pool.source." + stem), "provider", stem))
    if not sources:
        raise d.err("no sources specified")
    return {"sources": sources}


@module_parser("tls.ca_pool.source.storage")
def parse_storage_pool(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    keys = d.remaining_args()
    nesting = d.nesting
    while d.next_block(nesting):
        if d.val() == "storage":
            if "storage" in out:
                raise d.err("storage module already set")
            if not d.next_arg():
                raise d.arg_err()
            stem = d.val()
            out["storage"] = json_module_object(unmarshal_module(d, "caddy.storage." + stem), "module", stem)
        elif d.val() == "keys":
            keys.extend(d.remaining_args())
        else:
            raise d.err(f"unrecognized directive: {d.val()}")
    if keys:
        out["pem_keys"] = keys
    return out


def _client_tls_config(d: Dispenser) -> dict:
    """caddytls.TLSConfig's Caddyfile block (as the http CA pool uses it)."""
    out: dict[str, Any] = {}
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub == "ca":
            if not d.next_arg():
                raise d.arg_err()
            stem = d.val()
            out["ca"] = json_module_object(unmarshal_module(d, "tls.ca_pool.source." + stem), "provider", stem)
        elif sub == "insecure_skip_verify":
            out["insecure_skip_verify"] = True
        elif sub == "handshake_timeout":
            if not d.next_arg():
                raise d.arg_err()
            try:
                out["handshake_timeout"] = parse_duration(d.val())
            except GoValueError as e:
                raise d.err(f"bad timeout value '{d.val()}': {e}") from None
        elif sub in ("server_name", "renegotiation"):
            args = d.args(1)
            if args is None:
                raise d.arg_err()
            if sub == "renegotiation" and args[0] not in ("never", "once", "freely"):
                raise d.err("unrecognized renegotiation level: ")
            out[sub] = args[0]
        else:
            raise d.err(f"unrecognized directive: {sub}")
    return out


@module_parser("tls.ca_pool.source.http")
def parse_http_pool(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    endpoints = d.remaining_args()
    nesting = d.nesting
    while d.next_block(nesting):
        if d.val() == "endpoints":
            if d.count_remaining_args() == 0:
                raise d.arg_err()
            endpoints.extend(d.remaining_args())
        elif d.val() == "tls":
            if "tls" in out:
                raise d.err("tls block already defined")
            out["tls"] = _client_tls_config(d)
        else:
            raise d.err(f"unrecognized directive: {d.val()}")
    if endpoints:
        out["endpoints"] = endpoints
    return out


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


def parse_client_auth(d: Dispenser) -> ClientAuthentication:
    """ClientAuthentication.UnmarshalCaddyfile over the `client_auth` segment."""
    ca = ClientAuthentication()
    while d.next_arg():
        pass
    both = "cannot specify both 'trust_pool' and 'trusted_ca_cert' or 'trusted_ca_cert_file'"
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub == "mode":
            if d.count_remaining_args() > 1:
                raise d.arg_err()
            args = d.args(1)
            if args is None:
                raise d.arg_err()
            ca.mode = args[0]
        elif sub == "trusted_ca_cert":
            zap_warn("The 'trusted_ca_cert' field is deprecated. Use the 'trust_pool' field instead.")
            if ca.ca:
                raise d.err(both)
            if not d.next_arg():
                raise d.arg_err()
            ca.trusted_ca_certs.append(d.val())
        elif sub == "trusted_leaf_cert":
            if not d.next_arg():
                raise d.arg_err()
            ca.trusted_leaf_certs.append(d.val())
        elif sub in ("trusted_ca_cert_file", "trusted_leaf_cert_file"):
            if sub == "trusted_ca_cert_file":
                zap_warn("The 'trusted_ca_cert_file' field is deprecated. Use the 'trust_pool' field instead.")
                if ca.ca:
                    raise d.err(both)
            if not d.next_arg():
                raise d.arg_err()
            ders = pem_file_to_ders(d, d.val())
            (ca.trusted_ca_certs if sub == "trusted_ca_cert_file" else ca.trusted_leaf_certs).extend(ders)
        elif sub == "trust_pool":
            if ca.trusted_ca_certs:
                raise d.err(both)
            if not d.next_arg():
                raise d.arg_err()
            name = d.val()
            try:
                pool = unmarshal_module(d, "tls.ca_pool.source." + name)
            except CaddyfileError as e:
                raise d.wrap_err(e) from None
            ca.ca = json_module_object(pool, "provider", name)
        elif sub == "verifier":
            if not d.next_arg():
                raise d.arg_err()
            vtype = d.val()
            ca.verifiers.append(json_module_object(
                unmarshal_module(d, "tls.client_auth.verifier." + vtype), "verifier", vtype))
        else:
            raise d.err(f"unknown subdirective for client_auth: {sub}")
    if ca.trusted_ca_certs:
        ca.ca = json_module_object({"trusted_ca_certs": list(ca.trusted_ca_certs)}, "provider", "inline")
        ca.trusted_ca_certs = []
        ca.trusted_ca_certs_pem_files = []
    return ca


def pem_file_to_ders(d: Dispenser, filename: str) -> list[str]:
    """The base64 DER of every certificate in a PEM file (Caddy's convertPEMFilesToDER)."""
    import base64
    import re

    try:
        with open(filename, "rb") as f:
            data = f.read()
    except OSError as e:
        raise d.err(f"open {filename}: {e.strerror.lower() if e.strerror else e}") from None
    ders = []
    for m in re.finditer(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", data, re.S):
        body = b"".join(m.group(1).split())
        ders.append(base64.b64encode(base64.b64decode(body)).decode())
    if not ders:
        raise d.err("no certificates found in file")
    return ders


@module_parser("tls.client_auth.verifier.leaf")
def parse_leaf_verifier(d: Dispenser) -> dict:
    """`verifier leaf <loader> <args...>` or a block with one loader per line."""
    d.next_arg()
    loaders = []

    def add_loader() -> None:
        name = d.val()
        try:
            loader = unmarshal_module(d, "tls.leaf_cert_loader." + name)
        except CaddyfileError as e:
            raise d.wrap_err(e) from None
        loaders.append(json_module_object(loader, "loader", name))

    if d.count_remaining_args() > 1:
        d.next_arg()
        add_loader()
    else:
        nesting = d.nesting
        while d.next_block(nesting):
            add_loader()
    return {"leaf_certs_loaders": loaders} if loaders else {}


def _leaf_loader(key: str):
    def parse(d: Dispenser) -> dict:
        d.next_arg()
        values = d.remaining_args()
        return {key: values} if values else {}

    return parse


module_parser("tls.leaf_cert_loader.file")(_leaf_loader("files"))
module_parser("tls.leaf_cert_loader.folder")(_leaf_loader("folders"))
module_parser("tls.leaf_cert_loader.pem")(_leaf_loader("certificates"))
