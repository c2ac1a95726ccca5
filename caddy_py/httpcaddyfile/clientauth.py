"""Client certificate authentication in the Caddyfile (Caddy's modules/caddytls): the
`client_auth` block, its CA pool sources and the leaf-certificate verifier with its loaders."""
from __future__ import annotations

import base64
import re
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.gotime import GoValueError, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.routes import json_module_object
from caddy_py.httpcaddyfile.tlsmodels import ClientAuthentication
from caddy_py.httpcaddyfile.zaplog import zap_warn


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
