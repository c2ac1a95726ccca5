"""Caddyfile parser of basic_auth and its deprecated name basicauth (Caddy's
caddyauth/caddyfile.go)."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.httpcaddyfile.zaplog import zap_warn

HASHES = ("bcrypt", "argon2id")


def parse_basic_auth(h: Helper) -> dict:
    h.next()
    if h.val() == "basicauth":
        zap_warn("the 'basicauth' directive is deprecated, please use 'basic_auth' instead!",
                 "config.adapter.caddyfile")
    ba: dict[str, Any] = {"hash_cache": {}}
    args = h.remaining_args()
    if len(args) > 2:
        raise h.arg_err()
    hash_name = args[0] if args else "bcrypt"
    if len(args) == 2 and args[1]:
        ba["realm"] = args[1]
    if hash_name not in HASHES:
        raise h.err(f"unrecognized hash algorithm: {hash_name}")
    ba["hash"] = {"algorithm": hash_name}
    accounts = []
    while h.next_block(0):
        username = h.val()
        pwd = h.val() if h.next_arg() else ""
        if h.next_arg():
            raise h.arg_err()
        if not username or not pwd:
            raise h.err("username and password cannot be empty or missing")
        accounts.append({"username": username, "password": pwd})
    if accounts:
        ba["accounts"] = accounts
    return {"handler": "authentication", "providers": {"http_basic": ba}}


handler_directive("basicauth")(parse_basic_auth)
handler_directive("basic_auth")(parse_basic_auth)
