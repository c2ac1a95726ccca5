"""The `tls` site directive (Caddy's parseTLS in builtins.go): a connection policy plus the
issuer, loader and automation values the TLS app builder (tlsapp.py) collects per site.
"""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.gotime import GoValueError, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_name, unmarshal_module
from caddy_py.httpcaddyfile.registry import ConfigValue
from caddy_py.httpcaddyfile.tlsmodels import ACMEIssuer, ConnectionPolicy, FileLoader, FolderLoader, InternalIssuer
from caddy_py.httpcaddyfile.clientauth import parse_client_auth
from caddy_py.httpcaddyfile.tlsmodules import dns_provider

SUPPORTED_PROTOCOLS = ("tls1.2", "tls1.3")
SUPPORTED_CURVES = ("x25519mlkem768", "x25519", "secp256r1", "secp384r1", "secp521r1")
# Go's tls.CipherSuites(): the suites Caddy accepts by name
CIPHER_SUITES = (
    "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
)
_DNS_OPTIONS = ("resolvers", "propagation_delay", "propagation_timeout", "dns_ttl", "dns_challenge_override_domain")


def parse_tls(h: Any) -> list[ConfigValue]:
    from caddy_py.httpcaddyfile.builtins import parse_ratio
    from caddy_py.httpcaddyfile.tlsapp import implicit_acme_issuers

    h.next()
    cp = ConnectionPolicy()
    file_loader = FileLoader()
    folder_loader = FolderLoader()
    any_tag: list[str] = []
    acme: ACMEIssuer | None = None
    internal: InternalIssuer | None = None
    issuers: list[Any] = []
    managers: list[dict] = []
    key_type = ""
    on_demand = reuse_keys = force_automate = False
    ratio = 0.0
    dns_set: list[str] = []

    def acme_issuer() -> ACMEIssuer:
        nonlocal acme
        if acme is None:
            acme = ACMEIssuer()
        return acme

    first_line = h.remaining_args()
    if len(first_line) == 1:
        arg = first_line[0]
        if arg == "internal":
            internal = InternalIssuer()
        elif arg == "force_automate":
            force_automate = True
        elif "@" not in arg:
            raise h.err("single argument must either be 'internal', 'force_automate', or an email address")
        else:
            acme = ACMEIssuer(email=arg)
    elif len(first_line) == 2:
        cert_file, key_file = first_line
        tags = h.state.setdefault("tlsCertTags", {})
        tag = tags.get(cert_file)
        if tag is None:
            tag = f"cert{len(tags)}"
            file_loader.append({"certificate": cert_file, "key": key_file, "tags": [tag]})
            tags[cert_file] = tag
        any_tag.append(tag)
    elif first_line:
        raise h.arg_err()

    has_block = False
    while h.next_block(0):
        has_block = True
        sub = h.val()
        if sub == "protocols":
            args = h.remaining_args()
            if not args:
                raise h.err("protocols requires one or two arguments")
            for i, attr in enumerate(("protocol_min", "protocol_max")):
                if len(args) > i:
                    if args[i] not in SUPPORTED_PROTOCOLS:
                        raise h.err(f"wrong protocol name or protocol not supported: '{args[i]}'")
                    setattr(cp, attr, args[i])
        elif sub == "ciphers":
            while h.next_arg():
                if h.val() not in CIPHER_SUITES:
                    raise h.err(f"wrong cipher suite name or cipher suite not supported: '{h.val()}'")
                cp.cipher_suites.append(h.val())
        elif sub == "curves":
            while h.next_arg():
                if h.val() not in SUPPORTED_CURVES:
                    raise h.err(f"Wrong curve name or curve not supported: '{h.val()}'")
                cp.curves.append(h.val())
        elif sub == "client_auth":
            cp.client_authentication = parse_client_auth(h.new_from_next_segment())
        elif sub == "alpn":
            args = h.remaining_args()
            if not args:
                raise h.arg_err()
            cp.alpn = args
        elif sub == "load":
            folder_loader.extend(h.remaining_args())
        elif sub in ("ca", "key_type", "ca_root"):
            args = h.remaining_args()
            if len(args) != 1:
                raise h.arg_err()
            if sub == "ca":
                acme_issuer().ca = args[0]
            elif sub == "key_type":
                key_type = args[0]
            else:
                iss = acme_issuer()
                iss.trusted_roots_pem_files = (iss.trusted_roots_pem_files or []) + [args[0]]
        elif sub == "eab":
            args = h.remaining_args()
            if len(args) != 2:
                raise h.arg_err()
            acme_issuer().external_account = {"key_id": args[0], "mac_key": args[1]}
        elif sub == "issuer":
            if not h.next_arg():
                raise h.arg_err()
            issuers.append(unmarshal_module(h, "tls.issuance." + h.val()))
        elif sub == "get_certificate":
            if not h.next_arg():
                raise h.arg_err()
            mod_id = "tls.get_certificate." + h.val()
            from caddy_py.httpcaddyfile.routes import json_module_object

            managers.append(json_module_object(unmarshal_module(h, mod_id), "via", module_name(mod_id)))
        elif sub == "dns":
            cfg = acme_issuer().dns_cfg()
            if h.next_arg():
                cfg.provider = dns_provider(h)
            elif h.option("dns") is None:
                raise h.arg_err()
        elif sub == "resolvers":
            args = h.remaining_args()
            if not args:
                raise h.arg_err()
            dns_set.append(sub)
            acme_issuer().dns_cfg().resolvers = args
        elif sub in ("propagation_delay", "propagation_timeout", "dns_ttl"):
            args = h.remaining_args()
            if len(args) != 1:
                raise h.arg_err()
            if sub == "propagation_timeout" and args[0] == "-1":
                value = -1
            else:
                try:
                    value = parse_duration(args[0])
                except GoValueError as e:
                    raise h.err(f"invalid {sub} duration {args[0]}: {e}") from None
            dns_set.append(sub)
            cfg = acme_issuer().dns_cfg()
            setattr(cfg, "ttl" if sub == "dns_ttl" else sub, value)
        elif sub == "dns_challenge_override_domain":
            args = h.remaining_args()
            if len(args) != 1:
                raise h.arg_err()
            dns_set.append(sub)
            acme_issuer().dns_cfg().override_domain = args[0]
        elif sub in ("on_demand", "reuse_private_keys"):
            if h.next_arg():
                raise h.arg_err()
            if sub == "on_demand":
                on_demand = True
            else:
                reuse_keys = True
        elif sub == "insecure_secrets_log":
            if not h.next_arg():
                raise h.arg_err()
            cp.insecure_secrets_log = h.val()
        elif sub == "renewal_window_ratio":
            args = h.remaining_args()
            if len(args) != 1:
                raise h.arg_err()
            ratio = parse_ratio(h, args[0])
        else:
            raise h.err(f"unknown subdirective: {sub}")

    if acme is not None and acme.challenges is not None and acme.challenges.dns is not None:
        provider_set = (acme.challenges.dns.provider is not None or h.option("dns") is not None
                        or h.option("acme_dns") is not None)
        if dns_set and not provider_set:
            raise h.err(
                f"setting DNS challenge options [{', '.join(dns_set)}] requires a DNS provider "
                "(set with the 'dns' subdirective or 'acme_dns' global option)"
            )
    if not first_line and not has_block:
        raise h.arg_err()

    vals: list[ConfigValue] = []
    if file_loader:
        vals.append(ConfigValue("tls.cert_loader", file_loader))
    if folder_loader:
        vals.append(ConfigValue("tls.cert_loader", folder_loader))
    if issuers and (acme is not None or internal is not None):
        raise h.err("cannot mix issuer subdirective (explicit issuers) with other issuer-specific "
                    "subdirectives (implicit issuers)")
    if acme is not None and internal is not None:
        raise h.err("cannot create both ACME and internal certificate issuers")
    if issuers:
        vals.extend(ConfigValue("tls.cert_issuer", iss) for iss in issuers)
    elif acme is not None:
        vals.extend(ConfigValue("tls.cert_issuer", iss) for iss in implicit_acme_issuers(h, acme))
    elif internal is not None:
        vals.append(ConfigValue("tls.cert_issuer", internal))
    if key_type:
        vals.append(ConfigValue("tls.key_type", key_type))
    if on_demand:
        vals.append(ConfigValue("tls.on_demand", True))
    vals.extend(ConfigValue("tls.cert_manager", m) for m in managers)
    if reuse_keys:
        vals.append(ConfigValue("tls.reuse_private_keys", True))
    if ratio > 0:
        vals.append(ConfigValue("tls.renewal_window_ratio", ratio))
    if force_automate:
        vals.append(ConfigValue("tls.force_automate", True))
    if any_tag:
        cp.certificate_selection = {"any_tag": any_tag}
    vals.append(ConfigValue("tls.connection_policy", cp))
    return vals
