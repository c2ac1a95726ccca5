"""Caddy's log encoders (`caddy.logging.encoders.json` / `.console`) with zap's production keys.

An entry is (level, ts, logger, msg, fields); the encoder turns it into one line of text.
Field values may be `Duration` (seconds, formatted per `duration_format`), dicts, lists,
str/int/float/bool/None.
"""
from __future__ import annotations

import json
import logging
import math
import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable

_LEVEL_NAMES = {
    logging.DEBUG: "debug", logging.INFO: "info", logging.WARNING: "warn",
    logging.ERROR: "error", logging.CRITICAL: "fatal",
}
_COLORS = {"debug": 35, "info": 34, "warn": 33, "error": 31, "fatal": 31, "panic": 31}


class Duration(float):
    """A duration in seconds, encoded per the encoder's `duration_format`."""


def level_name(levelno: int) -> str:
    if levelno in _LEVEL_NAMES:
        return _LEVEL_NAMES[levelno]
    return "debug" if levelno < logging.INFO else "info" if levelno < logging.WARNING else \
        "warn" if levelno < logging.ERROR else "error" if levelno < logging.CRITICAL else "fatal"


def go_float(val: float) -> str:
    """A float the way Go's strconv.FormatFloat(f, 'f', -1, 64) prints it (never an exponent)."""
    if math.isnan(val):
        return '"NaN"'
    if math.isinf(val):
        return '"+Inf"' if val > 0 else '"-Inf"'
    text = repr(val)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if text.endswith(".0"):
        text = text[:-2]
    return text


def go_duration_string(seconds: float) -> str:
    """Go's time.Duration.String() (e.g. 1.5ms, 2m3.5s, 0s)."""
    ns = round(seconds * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1000:
        return f"{sign}{ns}ns"
    if ns < 1_000_000:
        return sign + _trim(f"{ns / 1e3:.3f}") + "µs"
    if ns < 1_000_000_000:
        return sign + _trim(f"{ns / 1e6:.6f}") + "ms"
    hours, rem = divmod(ns, 3_600_000_000_000)
    minutes, rem = divmod(rem, 60_000_000_000)
    secs = _trim(f"{rem / 1e9:.9f}") + "s"
    out = f"{hours}h{minutes}m{secs}" if hours else f"{minutes}m{secs}" if minutes else secs
    return sign + out


def _trim(num: str) -> str:
    return num.rstrip("0").rstrip(".") if "." in num else num


# Go reference-time layout tokens -> strftime (longest first)
_GO_LAYOUT = [
    ("2006", "%Y"), ("January", "%B"), ("Monday", "%A"), ("Jan", "%b"), ("Mon", "%a"),
    ("MST", "%Z"), ("Z07:00", "\x00tzc"), ("-07:00", "\x00tzc"), ("-0700", "%z"),
    (".000000000", "\x00ns"), (".000000", "\x00us"), (".000", "\x00ms"),
    ("01", "%m"), ("02", "%d"), ("15", "%H"), ("03", "%I"), ("04", "%M"), ("05", "%S"),
    ("06", "%y"), ("PM", "%p"),
]
_GO_TOKEN = re.compile("|".join(re.escape(t) for t, _ in _GO_LAYOUT))
_NAMED_LAYOUTS = {
    "rfc3339": "2006-01-02T15:04:05Z07:00", "rfc3339_nano": "2006-01-02T15:04:05.000000000Z07:00",
    "wall": "2006/01/02 15:04:05", "wall_milli": "2006/01/02 15:04:05.000",
    "wall_nano": "2006/01/02 15:04:05.000000000", "common_log": "02/Jan/2006:15:04:05 -0700",
}


def format_go_layout(ts: float, layout: str, local: bool) -> str:
    dt = datetime.fromtimestamp(ts, tz=None if local else timezone.utc)
    if local:
        dt = dt.astimezone()
    table = dict(_GO_LAYOUT)

    def one(m: re.Match[str]) -> str:
        code = table[m.group(0)]
        if code == "\x00ns":
            return f".{int(round(ts * 1e9)) % 1_000_000_000:09d}"
        if code == "\x00us":
            return f".{dt.microsecond:06d}"
        if code == "\x00ms":
            return f".{dt.microsecond // 1000:03d}"
        if code == "\x00tzc":
            off = dt.strftime("%z")
            if m.group(0) == "Z07:00" and off in ("+0000", ""):
                return "Z"
            return f"{off[:3]}:{off[3:]}"
        return dt.strftime(code)

    return _GO_TOKEN.sub(one, layout)


class EncoderConfig:
    """Caddy's LogEncoderConfig: key names, time/duration/level formats."""

    def __init__(self, cfg: dict[str, Any], *, console: bool = False) -> None:
        self.message_key = cfg.get("message_key", "msg")
        self.level_key = cfg.get("level_key", "level")
        self.time_key = cfg.get("time_key", "ts")
        self.name_key = cfg.get("name_key", "logger")
        self.stacktrace_key = cfg.get("stacktrace_key", "stacktrace")
        self.line_ending = cfg.get("line_ending", "\n")
        self.time_format = cfg.get("time_format") or ("wall_milli" if console else "unix_seconds_float")
        self.time_local = bool(cfg.get("time_local"))
        self.duration_format = cfg.get("duration_format") or "seconds"
        self.level_format = cfg.get("level_format") or ("color" if console else "lower")

    def time(self, ts: float) -> Any:
        fmt = self.time_format
        if fmt == "unix_seconds_float":
            return ts
        if fmt == "unix_milli_float":
            return ts * 1e3
        if fmt == "unix_nano":
            return int(ts * 1e9)
        if fmt == "iso8601":
            dt = datetime.fromtimestamp(ts).astimezone()
            return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}" + dt.strftime("%z")
        return format_go_layout(ts, _NAMED_LAYOUTS.get(fmt, fmt), self.time_local)

    def duration(self, d: float) -> Any:
        """Go durations are whole nanoseconds; round first so floats print like Go's."""
        d = round(d * 1e9) / 1e9
        f = self.duration_format
        if f in ("ns", "nano", "nanos"):
            return int(round(d * 1e9))
        if f in ("ms", "milli", "millis"):
            return round(d * 1e9) / 1e6
        if f == "string":
            return go_duration_string(d)
        return float(d)

    def level(self, name: str) -> str:
        if self.level_format == "upper":
            return name.upper()
        if self.level_format == "color":
            return f"\x1b[{_COLORS.get(name, 31)}m{name.upper()}\x1b[0m"
        return name


_FAST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False, default=str)
_SPACED = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "), check_circular=False, default=str)
class JSONEncoder:
    """One JSON object per line, keys in zap's order: level, ts, logger, msg, then fields.

    The C JSON encoder writes the line; top-level floats and durations go in as markers that are
    then swapped for Go's number formatting (nested floats keep Python's, which only differs for
    exponents and whole numbers)."""

    def __init__(self, cfg: dict[str, Any] | None = None) -> None:
        self.cfg = EncoderConfig(cfg or {})

    def encode(self, level: str, ts: float, name: str, msg: str, fields: dict[str, Any]) -> str:
        c = self.cfg
        head: list[tuple[str, Any]] = []
        if c.level_key:
            head.append((c.level_key, c.level(level)))
        if c.time_key:
            head.append((c.time_key, c.time(ts)))
        if name and c.name_key:
            head.append((c.name_key, name))
        if c.message_key:
            head.append((c.message_key, msg))
        return encode_object(head + list(fields.items()), c, _FAST) + c.line_ending


def encode_object(items: list[tuple[str, Any]], c: EncoderConfig, enc: json.JSONEncoder) -> str:
    """A JSON object by the C encoder; top-level floats go in as markers swapped afterwards for
    Go's number formatting."""
    entry: dict[str, Any] = {}
    numbers: list[str] = []
    for key, v in items:
        if isinstance(v, Duration):
            v = c.duration(v)
        if isinstance(v, float):
            numbers.append(go_float(v))
            v = f"{_MARK}{len(numbers) - 1}{_MARK}"
        entry[key] = v
    text = enc.encode(entry)
    for i, num in enumerate(numbers):
        text = text.replace(f'"{_MARK_JSON}{i}{_MARK_JSON}"', num, 1)
    return text


_MARK = "\x00\x01"
_MARK_JSON = "\\u0000\\u0001"


class ConsoleEncoder:
    """zap's console layout: time, level, logger, message, then the fields as JSON, tab-separated."""

    def __init__(self, cfg: dict[str, Any] | None = None) -> None:
        self.cfg = EncoderConfig(cfg or {}, console=True)

    def encode(self, level: str, ts: float, name: str, msg: str, fields: dict[str, Any]) -> str:
        c = self.cfg
        cols: list[str] = []
        if c.time_key:
            t = c.time(ts)
            cols.append(t if isinstance(t, str) else go_float(t) if isinstance(t, float) else str(t))
        if c.level_key:
            cols.append(c.level(level))
        if name and c.name_key:
            cols.append(name)
        if c.message_key:
            cols.append(msg)
        if fields:  # zap's console encoder spaces its JSON: `{"a": 1, "b": [2, 3]}`
            cols.append(encode_object(list(fields.items()), c, _SPACED))
        return "\t".join(cols) + c.line_ending


ENCODERS = {"json": JSONEncoder, "console": ConsoleEncoder}


def build_encoder(cfg: dict[str, Any] | None, default: Callable[[], Any] = JSONEncoder) -> Any:
    """An encoder from `{"format": "json"|"console"|"filter"|"append", ...}`; `default()` builds
    the one a wrapping encoder uses without `wrap`. ValueError for unknown formats."""
    cfg = dict(cfg or {})
    fmt = cfg.pop("format", "")
    if fmt in ("filter", "append"):
        from caddy_py.logs.filters import AppendEncoder, FilterEncoder

        wrapped = build_encoder(cfg["wrap"], default) if cfg.get("wrap") else default()
        return (FilterEncoder if fmt == "filter" else AppendEncoder)(cfg, wrapped)
    cls = ENCODERS.get(fmt)
    if cls is None:
        raise ValueError(f"loading log encoder module: module not registered: caddy.logging.encoders.{fmt}")
    return cls(cfg)
