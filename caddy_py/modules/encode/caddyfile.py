"""Caddyfile parser of encode and its encoders gzip and zstd (Caddy's encode/caddyfile.go,
encode/gzip, encode/zstd)."""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.registry import handler_directive
from caddy_py.modules.headers.caddyfile import parse_named_response_matcher

ENCODERS = ("gzip", "zstd")
ZSTD_LEVELS = ("fastest", "default", "better", "best")


def _atoi_bare(s: str) -> int:
    """strconv.Atoi whose error Go returns unwrapped (no position)."""
    try:
        return atoi(s)
    except GoValueError as e:
        raise CaddyfileError(str(e)) from None


@module_parser("http.encoders.gzip")
def parse_gzip(d: Dispenser) -> dict:
    d.next()
    if not d.next_arg():
        return {}
    level = _atoi_bare(d.val())
    return {"level": level} if level else {}


def _zstd_level(d: Dispenser, level: str) -> str:
    if level.lower() not in ZSTD_LEVELS:
        raise d.err("unexpected compression level, use one of 'fastest', 'better', 'best', 'default'")
    return level


@module_parser("http.encoders.zstd")
def parse_zstd(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    args = d.remaining_args()
    if len(args) == 1:
        out["level"] = _zstd_level(d, args[0])
    elif len(args) > 1:
        raise d.arg_err()
    nesting = d.nesting
    while d.next_block(nesting):
        if d.val() == "level":
            args = d.remaining_args()
            if len(args) != 1:
                raise d.arg_err()
            if out.get("level"):
                raise d.err("compression level already specified")
            level = _zstd_level(d, args[0])
            if level:
                out["level"] = level
        elif d.val() == "disable_checksum":
            if d.next_arg():
                raise d.arg_err()
            if "checksum" in out:
                raise d.err("checksum already specified")
            out["checksum"] = False
        else:
            raise d.err(f"unknown subdirective '{d.val()}'")
    return out


@handler_directive("encode")
def parse_encode(h: Helper) -> dict:
    h.next()
    enc: dict[str, Any] = {"handler": "encode"}
    prefer: list[str] = []
    remaining = h.remaining_args()
    encodings: dict[str, Any] = {}
    response_matchers: dict[str, dict] = {}  # one map for the block: a second `match` is an error
    while h.next_block(0):
        key = h.val()
        if key == "minimum_length":
            if not h.next_arg():
                raise h.arg_err()
            n = _atoi_bare(h.val())
            enc.pop("minimum_length", None)
            if n:
                enc["minimum_length"] = n
        elif key == "match":
            parse_named_response_matcher(h.new_from_next_segment(), response_matchers)
            enc["match"] = response_matchers["match"]
        else:
            encodings[key] = unmarshal_module(h, "http.encoders." + key)
            prefer.append(key)
    if not prefer and not remaining:
        remaining = ["zstd", "gzip"]
    for name in remaining:
        if name not in ENCODERS:
            raise h.err(f"finding encoder module '': "
                        f"module not registered: http.encoders.{name}")
        encodings[name] = {}
        prefer.append(name)
    if encodings:
        enc["encodings"] = encodings
    if prefer:
        enc["prefer"] = prefer
    return enc
