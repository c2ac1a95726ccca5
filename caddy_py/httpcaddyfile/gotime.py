"""Go's value parsers that Caddyfile options rely on, with Go's exact error text:
caddy.ParseDuration (time.ParseDuration plus a "d" unit), strconv.Atoi / ParseFloat and
go-humanize's ParseBytes. Durations come back as integer nanoseconds (caddy.Duration's JSON).
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

from caddy_py.httpcaddyfile.gorepr import go_quote

_UNIT_NS = {
    "ns": 1, "us": 1_000, "\u00b5s": 1_000, "\u03bcs": 1_000, "ms": 1_000_000,
    "s": 1_000_000_000, "m": 60_000_000_000, "h": 3_600_000_000_000,
}
_MAX_INT64 = (1 << 63) - 1


class GoValueError(ValueError):
    """str() is Go's error text."""


def time_parse_duration(orig: str) -> int:
    """time.ParseDuration: "[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+" in nanoseconds."""
    s = orig
    neg = False
    invalid = GoValueError("time: invalid duration " + go_quote(orig))
    if s and s[0] in "+-":
        neg = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise invalid
    total = 0
    while s:
        if not (s[0] == "." or "0" <= s[0] <= "9"):
            raise invalid
        m = re.match(r"[0-9]*", s)
        int_part = m.group(0)
        s = s[len(int_part):]
        frac_part = ""
        if s.startswith("."):
            m = re.match(r"[0-9]*", s[1:])
            frac_part = m.group(0)
            s = s[1 + len(frac_part):]
        if not int_part and not frac_part:
            raise invalid
        m = re.match(r"[^0-9.]*", s)
        unit = m.group(0)
        s = s[len(unit):]
        if not unit:
            raise GoValueError("time: missing unit in duration " + go_quote(orig))
        if unit not in _UNIT_NS:
            raise GoValueError("time: unknown unit " + go_quote(unit) + " in duration " + go_quote(orig))
        scale = _UNIT_NS[unit]
        v = int(int_part or "0")
        if v > _MAX_INT64 // scale:
            raise invalid
        v *= scale
        if frac_part:
            # Go truncates the fractional contribution toward zero
            v += int(int(frac_part) * scale // (10 ** len(frac_part)))
        total += v
        if total > _MAX_INT64:
            raise invalid
    return -total if neg else total


def parse_float(s: str) -> float:
    """strconv.ParseFloat(s, 64) for decimal input."""
    if re.fullmatch(r"[+-]?(\d+(_\d+)*\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|[iI][nN][fF]([iI][nN][iI][tT][yY])?|[nN][aA][nN])", s):
        try:
            return float(s.replace("_", ""))
        except ValueError:
            pass
    raise GoValueError(f"strconv.ParseFloat: parsing {go_quote(s)}: invalid syntax")


def format_float(f: float) -> str:
    """strconv.FormatFloat(f, 'f', -1, 64)."""
    if math.isinf(f) or math.isnan(f):
        return {True: "+Inf", False: "-Inf"}[f > 0] if math.isinf(f) else "NaN"
    out = format(Decimal(repr(f)), "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def parse_duration(s: str) -> int:
    """caddy.ParseDuration: Go durations plus "d" (24h), in nanoseconds."""
    if len(s) > 1024:
        raise GoValueError("parsing duration: input string too long")
    in_number = False
    num_start = 0
    i = 0
    while i < len(s):
        ch = s[i]
        if ch == "d":
            days = parse_float(s[num_start:i])
            hours = format_float(days * 24.0)
            s = s[:num_start] + hours + "h" + s[i + 1:]
            continue
        if not in_number:
            num_start = i
        in_number = ch.isdigit() or ch in ".-+"
        i += 1
    return time_parse_duration(s)


def atoi(s: str) -> int:
    """strconv.Atoi with Go's error text."""
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        raise GoValueError(f"strconv.Atoi: parsing {go_quote(s)}: invalid syntax")
    v = int(s)
    if not -(1 << 63) <= v <= _MAX_INT64:
        raise GoValueError(f"strconv.Atoi: parsing {go_quote(s)}: value out of range")
    return v


def parse_int(s: str, bits: int = 64) -> int:
    """strconv.ParseInt(s, 10, bits)."""
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        raise GoValueError(f"strconv.ParseInt: parsing {go_quote(s)}: invalid syntax")
    v = int(s)
    if not -(1 << (bits - 1)) <= v <= (1 << (bits - 1)) - 1:
        raise GoValueError(f"strconv.ParseInt: parsing {go_quote(s)}: value out of range")
    return v


_BYTES = {"": 1, "b": 1}
for _i, _p in enumerate("kmgtpe", start=1):
    _BYTES[_p] = _BYTES[_p + "b"] = 1000 ** _i
    _BYTES[_p + "i"] = _BYTES[_p + "ib"] = 1024 ** _i


def parse_bytes(s: str) -> int:
    """go-humanize ParseBytes: "256k" = 256000, "1.5MiB", "1,000"."""
    last = 0
    for ch in s:
        if not (ch.isdigit() or ch in ".,"):
            break
        last += 1
    num = s[:last].replace(",", "")
    f = parse_float(num)
    extra = s[last:].strip().lower()
    if extra in _BYTES:
        f *= _BYTES[extra]
        if f >= 2.0 ** 64:
            raise GoValueError(f"too large: {s}")
        return int(f) if not math.isnan(f) else 0
    raise GoValueError(f"unhandled size name: {extra}")


def _frac(v: int, prec: int) -> tuple[str, int]:
    """Go's fmtFrac: v / 10**prec as '.ddd' without trailing zeros, and the integer part."""
    digits = []
    printed = False
    for _ in range(prec):
        d = v % 10
        printed = printed or d != 0
        if printed:
            digits.append(str(d))
        v //= 10
    s = ("." + "".join(reversed(digits))) if printed else ""
    return s, v


def format_duration(ns: int) -> str:
    """time.Duration.String: "1h0m0s", "1.5s", "250ms", "0s"."""
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1_000_000_000:
        if u == 0:
            return "0s"
        if u < 1_000:
            out = f"{u}ns"
        elif u < 1_000_000:
            frac, whole = _frac(u, 3)
            out = f"{whole}{frac}\u00b5s"
        else:
            frac, whole = _frac(u, 6)
            out = f"{whole}{frac}ms"
    else:
        frac, secs = _frac(u, 9)
        out = f"{secs % 60}{frac}s"
        mins = secs // 60
        if mins > 0:
            out = f"{mins % 60}m" + out
            hours = mins // 60
            if hours > 0:
                out = f"{hours}h" + out
    return "-" + out if neg else out
