"""Caddyfile parsers of the logging guest modules (Caddy's modules/logging): writers (file, net),
encoders (console, json, filter, append) and field filters. Each returns the module's JSON.
"""
from __future__ import annotations

import math
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, format_duration, parse_bytes, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_parser, unmarshal_module
from caddy_py.httpcaddyfile.routes import json_module_object


def _one_arg(d: Dispenser) -> str:
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    return args[0]


def _split_commas(d: Dispenser, what: str) -> list[str]:
    args = d.remaining_args()
    if not args:
        raise d.arg_err()
    out = []
    for arg in args:
        for part in arg.split(","):
            part = part.strip()
            if not part:
                raise d.err(f"parsing {what}: empty value")
            out.append(part)
    return out


def _file_mode(s: str) -> int:
    """Caddy's parseFileMode: fmt's %04s zero-pads, then ParseUint(base 8, 32 bits)."""
    padded = s.rjust(4, "0")
    if not padded or any(c not in "01234567" for c in padded):
        raise GoValueError(f'strconv.ParseUint: parsing "{padded}": invalid syntax')
    mode = int(padded, 8)
    if mode >= 1 << 32:
        raise GoValueError(f'strconv.ParseUint: parsing "{padded}": value out of range')
    return mode


def _module_arg(d: Dispenser) -> str:
    """The one argument after the module name."""
    d.next()
    if not d.next_arg():
        raise d.arg_err()
    val = d.val()
    if d.next_arg():
        raise d.arg_err()
    return val


@module_parser("caddy.logging.writers.file")
def parse_file_writer(d: Dispenser) -> dict:
    fw: dict[str, Any] = {"filename": _module_arg(d)}
    while d.next_block(0):
        sub = d.val()
        try:
            if sub == "mode":
                fw["mode"] = _one_arg(d)
                _file_mode(fw["mode"])
            elif sub == "dir_mode":
                val = _one_arg(d).strip()
                if val.lower() not in ("inherit", "from_file"):
                    try:
                        _file_mode(val)
                    except GoValueError as e:
                        raise d.err(f"parsing dir_mode: {e}") from None
                fw["dir_mode"] = val
            elif sub in ("roll_disabled", "roll_uncompressed", "roll_local_time"):
                key = {"roll_disabled": "roll", "roll_uncompressed": "roll_gzip",
                       "roll_local_time": "roll_local_time"}[sub]
                fw[key] = sub == "roll_local_time"
                if d.next_arg():
                    raise d.arg_err()
            elif sub == "roll_size":
                try:
                    size = parse_bytes(_one_arg(d))
                except GoValueError as e:
                    raise d.err(f"parsing size: {e}") from None
                fw["roll_size_mb"] = math.ceil(size / (1 << 20))
            elif sub == "roll_compression":
                comp = _one_arg(d).strip().lower()
                if comp not in ("none", "gzip", "zstd"):
                    raise d.err("parsing roll_compression: must be 'none', 'gzip' or 'zstd'")
                fw["roll_compression"] = comp
            elif sub == "roll_keep":
                try:
                    fw["roll_keep"] = atoi(_one_arg(d))
                except GoValueError as e:
                    raise d.err(f"parsing roll_keep number: {e}") from None
            elif sub == "roll_keep_for":
                try:
                    keep = parse_duration(_one_arg(d))
                except GoValueError as e:
                    raise d.err(f"parsing roll_keep_for duration: {e}") from None
                if keep < 0:
                    raise d.err(f"negative roll_keep_for duration: {format_duration(keep)}")
                fw["roll_keep_days"] = math.ceil(keep / 3_600_000_000_000 / 24)
            elif sub == "roll_interval":
                try:
                    fw["roll_interval"] = parse_duration(_one_arg(d))
                except GoValueError as e:
                    raise d.err(f"parsing roll_interval duration: {e}") from None
            elif sub == "roll_minutes":
                parts = _split_commas(d, "roll_minutes")
                try:
                    fw["roll_minutes"] = [atoi(p) for p in parts]
                except GoValueError as e:
                    raise d.err(f"parsing roll_minutes number: {e}") from None
            elif sub == "roll_at":
                fw["roll_at"] = _split_commas(d, "roll_at")
            elif sub == "backup_time_format":
                fw["backup_time_format"] = _one_arg(d)
            else:
                raise d.err(f"unrecognized subdirective '{sub}'")
        except GoValueError as e:
            raise d.err(f"parsing mode: {e}") from None
    if "mode" in fw:
        mode = _file_mode(fw.pop("mode"))
        if mode:
            fw["mode"] = "%04o" % mode
    return fw


@module_parser("caddy.logging.writers.net")
def parse_net_writer(d: Dispenser) -> dict:
    nw: dict[str, Any] = {"address": _module_arg(d)}
    while d.next_block(0):
        sub = d.val()
        if sub == "dial_timeout":
            if not d.next_arg():
                raise d.arg_err()
            try:
                timeout = parse_duration(d.val())
            except GoValueError as e:
                raise d.err(f"invalid duration: {d.val()}") from e
            if d.next_arg():
                raise d.arg_err()
            nw["dial_timeout"] = timeout
        elif sub == "soft_start":
            if d.next_arg():
                raise d.arg_err()
            nw["soft_start"] = True
        else:
            raise d.err(f"unrecognized subdirective '{sub}'")
    return nw


_ENCODER_KEYS = ("message_key", "level_key", "time_key", "name_key", "caller_key",
                 "stacktrace_key", "line_ending", "time_format", "duration_format", "level_format")


def _encoder_config(d: Dispenser) -> dict:
    out: dict[str, Any] = {}
    while d.next_block(0):
        sub = d.val()
        if sub == "time_local":
            out["time_local"] = True
            if d.next_arg():
                raise d.arg_err()
            continue
        args = d.all_args(1)
        if args is None:
            raise d.arg_err()
        if sub not in _ENCODER_KEYS:
            raise d.err(f"unrecognized subdirective {sub}")
        out[sub] = args[0]
    return out


def _plain_encoder(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    return _encoder_config(d)


module_parser("caddy.logging.encoders.console")(_plain_encoder)
module_parser("caddy.logging.encoders.json")(_plain_encoder)


@module_parser("caddy.logging.encoders.append")
def parse_append_encoder(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    while d.next_block(0):
        if d.val() == "wrap":
            if not d.next_arg():
                raise d.arg_err()
            name = d.val()
            out["wrap"] = json_module_object(unmarshal_module(d, "caddy.logging.encoders." + name), "format", name)
        elif d.val() == "fields":
            nesting = d.nesting
            while d.next_block(nesting):
                key = d.val()
                if not d.next_arg():
                    raise d.arg_err()
                fields[key] = d.scalar_val()
                if d.next_arg():
                    raise d.arg_err()
        else:
            key = d.val()
            if not d.next_arg():
                raise d.arg_err()
            fields[key] = d.scalar_val()
            if d.next_arg():
                raise d.arg_err()
    if fields:
        out["fields"] = fields
    return out


@module_parser("caddy.logging.encoders.journald")
def parse_journald_encoder(d: Dispenser) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    out: dict[str, Any] = {}
    while d.next_block(0):
        if d.val() != "wrap":
            raise d.err(f"unrecognized subdirective {d.val()}")
        if not d.next_arg():
            raise d.arg_err()
        name = d.val()
        out["wrap"] = json_module_object(unmarshal_module(d, "caddy.logging.encoders." + name), "format", name)
    return out


@module_parser("caddy.logging.encoders.filter")
def parse_filter_encoder(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    regexps: dict[str, list[dict]] = {}

    def parse_field() -> None:
        name = d.val()
        if not d.next_arg():
            raise d.arg_err()
        filter_name = d.val()
        value = unmarshal_module(d, "caddy.logging.encoders.filter." + filter_name)
        if filter_name == "regexp":
            regexps.setdefault(name, []).append(value)
            return
        if name in regexps:
            raise d.err(f"cannot mix regexp filters with other filter types for field {name}")
        if name in fields:
            raise d.err(f"field {name} already has a filter; multiple non-regexp filters per field are not supported")
        fields[name] = json_module_object(value, "filter", filter_name)

    while d.next_block(0):
        if d.val() == "wrap":
            if not d.next_arg():
                raise d.arg_err()
            name = d.val()
            out["wrap"] = json_module_object(unmarshal_module(d, "caddy.logging.encoders." + name), "format", name)
        elif d.val() == "fields":
            nesting = d.nesting
            while d.next_block(nesting):
                parse_field()
        else:
            parse_field()
    for name, filters in regexps.items():
        if len(filters) == 1:
            fields[name] = json_module_object(filters[0], "filter", "regexp")
        else:
            fields[name] = json_module_object({"operations": filters}, "filter", "multi_regexp")
    if fields:
        out["fields"] = fields
    return out


@module_parser("caddy.logging.cores.mock")
def parse_mock_core(d: Dispenser) -> dict:
    """A no-op core Caddy ships for its tests."""
    return {}


@module_parser("caddy.logging.encoders.filter.delete")
def parse_delete_filter(d: Dispenser) -> dict:
    return {}


@module_parser("caddy.logging.encoders.filter.hash")
def parse_hash_filter(d: Dispenser) -> dict:
    return {}


def _optional_value(key: str):
    def parse(d: Dispenser) -> dict:
        d.next()
        return {key: d.val()} if d.next_arg() and d.val() else {}

    return parse


module_parser("caddy.logging.encoders.filter.replace")(_optional_value("value"))
module_parser("caddy.logging.encoders.filter.rename")(_optional_value("name"))


@module_parser("caddy.logging.encoders.filter.regexp")
def parse_regexp_filter(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    if d.next_arg() and d.val():
        out["regexp"] = d.val()
    if d.next_arg() and d.val():
        out["value"] = d.val()
    return out


@module_parser("caddy.logging.encoders.filter.ip_mask")
def parse_ip_mask_filter(d: Dispenser) -> dict:
    d.next()
    out: dict[str, Any] = {}
    args = d.remaining_args()
    if len(args) > 2:
        raise d.err("too many arguments")

    def num(s: str) -> int:
        try:
            return atoi(s)
        except GoValueError as e:
            raise d.err(f"error parsing {s}: {e}") from None

    for key, arg in zip(("ipv4_cidr", "ipv6_cidr"), args):
        out[key] = num(arg)
    while d.next_block(0):
        if d.val() not in ("ipv4", "ipv6"):
            raise d.err(f"unrecognized subdirective {d.val()}")
        key = d.val() + "_cidr"
        if not d.next_arg():
            raise d.arg_err()
        out[key] = num(d.val())
    return {k: v for k, v in out.items() if v}


def _actions_filter(name_key: str):
    def parse(d: Dispenser) -> dict:
        d.next()
        actions = []
        while d.next_block(0):
            kind = d.val()
            if kind not in ("replace", "hash", "delete"):
                raise d.err(f"unrecognized subdirective {kind}")
            if not d.next_arg():
                raise d.arg_err()
            action: dict[str, Any] = {"type": kind, name_key: d.val()}
            if kind == "replace":
                if not d.next_arg():
                    raise d.arg_err()
                if d.val():
                    action["value"] = d.val()
            actions.append(action)
        return {"actions": actions or None}

    return parse


module_parser("caddy.logging.encoders.filter.query")(_actions_filter("parameter"))
module_parser("caddy.logging.encoders.filter.cookie")(_actions_filter("name"))
module_parser("caddy.logging.encoders.filter.set_cookie")(_actions_filter("name"))
