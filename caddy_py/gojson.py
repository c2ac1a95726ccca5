"""JSON text exactly as Go's encoding/json prints it (what `caddy adapt` shows).

The one approach used across the adapter: Python dicts are built in the key order Go emits
(struct field order for Caddy's config structs, e.g. a route's group/match/handle/terminal),
and every object that Go sends through a map is sorted when it is made (`sorted_deep`, used by
JSONModuleObject for handler objects and by map-typed fields). This module then only prints:
it never reorders keys.

Go's differences from `json.dumps`: `<`, `>`, `&`, U+2028 and U+2029 are escaped as `\\u003c`
etc., control characters use `\\b \\f \\n \\r \\t` or `\\u00XX`, non-ASCII is kept as UTF-8,
floats print in the shortest form without `.0` and switch to exponent form outside
[1e-6, 1e21), and `--pretty` is `json.Indent` with a tab (empty `[]` / `{}` stay closed).
"""
from __future__ import annotations

import json
import math
import re
from json.encoder import c_encode_basestring, c_make_encoder  # type: ignore[attr-defined]
from typing import Any, Callable

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}
_NEEDS_ESCAPE = re.compile('["\\\\<>&\u2028\u2029\\x00-\\x1f]|[\ud800-\udfff]')


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    esc = _ESCAPES.get(ch)
    if esc is not None:
        return esc
    if "\ud800" <= ch <= "\udfff":  # invalid UTF-8 decoded with surrogateescape: Go writes U+FFFD
        return "\ufffd"
    return "\\u%04x" % ord(ch)


def quote(s: str) -> str:
    return '"' + _NEEDS_ESCAPE.sub(_escape_char, s) + '"'


def format_float(f: float) -> str:
    if math.isnan(f) or math.isinf(f):
        raise ValueError(f"json: unsupported value: {f}")
    if f == 0:
        return "-0" if math.copysign(1, f) < 0 else "0"
    a = abs(f)
    if 1e-6 <= a < 1e21:
        from decimal import Decimal  # floats are rare in configs: not imported at every start

        d = Decimal(repr(f)).normalize()
        return format(d, "f")
    s = repr(f)  # shortest digits in exponent form, e.g. 1e+21, 1.5e-07
    mant, _, exp = s.partition("e")
    if mant.endswith(".0"):
        mant = mant[:-2]
    sign, digits = exp[0], exp[1:].lstrip("0") or "0"
    if len(digits) < 2 and sign == "+":
        digits = digits.rjust(2, "0")
    return f"{mant}e{sign}{digits}"


def _encode(obj: Any, out: list[str]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, str):
        out.append(quote(obj))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, float):
        out.append(format_float(obj))
    elif isinstance(obj, dict):
        out.append("{")
        first = True
        for k, v in obj.items():
            if not first:
                out.append(",")
            first = False
            out.append(quote(str(k)))
            out.append(":")
            _encode(v, out)
        out.append("}")
    elif isinstance(obj, (list, tuple)):
        out.append("[")
        for i, v in enumerate(obj):
            if i:
                out.append(",")
            _encode(v, out)
        out.append("]")
    elif hasattr(obj, "to_json"):
        _encode(obj.to_json(), out)
    else:
        raise TypeError(f"json: unsupported type: {type(obj).__name__}")


def _encode_pretty(obj: Any, out: list[str], depth: int) -> None:
    if hasattr(obj, "to_json") and not isinstance(obj, (dict, list, tuple, str)):
        obj = obj.to_json()
    if isinstance(obj, dict) and obj:
        out.append("{\n")
        inner = "\t" * (depth + 1)
        for i, (k, v) in enumerate(obj.items()):
            if i:
                out.append(",\n")
            out.append(inner)
            out.append(quote(str(k)))
            out.append(": ")
            _encode_pretty(v, out, depth + 1)
        out.append("\n" + "\t" * depth + "}")
    elif isinstance(obj, (list, tuple)) and obj:
        out.append("[\n")
        inner = "\t" * (depth + 1)
        for i, v in enumerate(obj):
            if i:
                out.append(",\n")
            out.append(inner)
            _encode_pretty(v, out, depth + 1)
        out.append("\n" + "\t" * depth + "]")
    else:
        _encode(obj, out)


def dumps(obj: Any, pretty: bool = False) -> str:
    """Go's json.Marshal text (or json.Indent(..., "", "\\t") of it when pretty)."""
    text = _fast_dumps(obj, pretty)
    if text is not None:
        return text
    out: list[str] = []
    if pretty:
        _encode_pretty(obj, out, 0)
    else:
        _encode(obj, out)
    return "".join(out)


def _to_json(obj: Any) -> Any:
    if hasattr(obj, "to_json") and not isinstance(obj, str):
        return obj.to_json()
    raise TypeError(f"json: unsupported type: {type(obj).__name__}")


# The standard library's C encoder writes what Go writes except for the HTML-sensitive
# characters and U+2028/U+2029 (Go escapes them) and invalid UTF-8 (Go writes U+FFFD); those
# only occur inside strings, so one translate of the whole text fixes them.
def _c_encoder(sort_keys: bool, allow_nan: bool) -> Callable[[Any], str]:
    """The C encoder json.dumps would use, called directly (json.dumps builds it per call)."""
    encode = c_make_encoder(None, _to_json, c_encode_basestring, None, ":", ",", sort_keys, False, allow_nan)

    def dumps(obj: Any) -> str:
        return "".join(encode(obj, 0))

    return dumps


_C_ENCODE = _c_encoder(False, False)
_GO_FIXUPS = {ord(k): v for k, v in _ESCAPES.items() if k in "<>&\u2028\u2029"}
_GO_FIXUPS.update((c, "\ufffd") for c in range(0xD800, 0xE000))
# A number with a fraction or exponent right after a structural character. Floats are the one
# value Go prints differently (no ".0", other exponent thresholds); a match may also be text
# inside a string, so it is confirmed by parsing before falling back to the slow encoder.
_MAYBE_FLOAT = re.compile(r"[:,\[][-0-9][0-9]*[.eE]")  # (a set first: the engine skips ahead fast)


def _fast_dumps(obj: Any, pretty: bool) -> str | None:
    """dumps through the C encoder, or None when obj holds a float or something it rejects
    (the Go-exact encoder then prints it, or raises its own error)."""
    try:
        text = _C_ENCODE(obj)
    except (TypeError, ValueError, RecursionError):
        return None
    if isinstance(obj, float) or (_MAYBE_FLOAT.search(text) and _has_float(text)):
        return None
    text = text.translate(_GO_FIXUPS)
    if pretty:
        import msgspec

        # format keeps every token verbatim; its one-space indent becomes Go's tab
        text = _LEADING_SPACES.sub(_tabs, msgspec.json.format(text, indent=1))
    return text


def _has_float(text: str) -> bool:
    found = False

    def note(s: str) -> float:
        nonlocal found
        found = True
        return 0.0

    json.loads(text, parse_float=note)
    return found


_LEADING_SPACES = re.compile(r"^ +", re.M)


def _tabs(m: re.Match[str]) -> str:
    return "\t" * (m.end() - m.start())


def sorted_deep(obj: Any) -> Any:
    """What a round trip through Go's map[string]any does: every object's keys sorted, at every
    depth (lists keep their order), integers past 2**53 as float64. Objects with `to_json` are
    converted first. Always a fresh copy of every object and list."""
    return _sorted_node(obj)


def sorted_object(obj: dict, cls: type[dict] = dict) -> dict:
    """sorted_deep of a dict, the outer object made as `cls` (a dict subclass) directly."""
    out = cls()
    for k in sorted(obj):
        if type(k) is not str:
            return cls(_sorted_by_c(obj))
        out[k] = _sorted_node(obj[k])
    return out


_FLOAT_PAST = 1 << 53


def _sorted_node(obj: Any) -> Any:
    """sorted_deep walked in Python for plain JSON data (handler objects are small: cheaper than
    a C encode and parse per object); anything else (str-less keys, to_json objects, int and
    str subclasses) goes through the C round trip, which defines the result."""
    t = type(obj)
    if t is str or t is bool or obj is None or t is float:
        return obj
    if t is dict:
        out = {}
        for k in sorted(obj):
            if type(k) is not str:
                return _sorted_by_c(obj)
            out[k] = _sorted_node(obj[k])
        return out
    if t is list or t is tuple:
        return [_sorted_node(v) for v in obj]
    if t is int:
        return float(obj) if obj > _FLOAT_PAST or obj < -_FLOAT_PAST else obj
    return _sorted_by_c(obj)


def _sorted_by_c(obj: Any) -> Any:
    """sorted_deep as a round trip through the C JSON codec; what it cannot carry goes the slow way."""
    if not isinstance(obj, (dict, list, tuple)):
        return _sorted_deep(obj)
    try:
        text = "".join(_C_SORTED_ENCODE(obj, 0))
    except (TypeError, ValueError, RecursionError):
        return _sorted_deep(obj)
    return _C_SCAN_GO_NUMBERS(text, 0)[0]


_C_SORTED_ENCODE = c_make_encoder(None, _to_json, c_encode_basestring, None, ":", ",", True, False, True)
_C_PLAIN = _c_encoder(False, True)
# the C scanner json.loads ends in, called directly: its text comes from the encoders above
_C_SCAN = json.JSONDecoder().scan_once
# integers go through _map_int (a call per integer, few in config objects: cheaper than
# searching every text for a long run of digits first)
def _map_int(s: str) -> int | float:
    i = int(s)
    return float(i) if len(s) > 15 and abs(i) > 1 << 53 else i


_C_SCAN_GO_NUMBERS = json.JSONDecoder(parse_int=_map_int).scan_once


def _sorted_deep(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _sorted_deep(obj[k]) for k in sorted(obj)}
    if isinstance(obj, (list, tuple)):
        return [_sorted_deep(v) for v in obj]
    if hasattr(obj, "to_json") and not isinstance(obj, str):
        return _sorted_deep(obj.to_json())
    if isinstance(obj, int) and not isinstance(obj, bool) and abs(obj) > 1 << 53:
        return float(obj)  # the map holds float64: past 2**53 an integer loses precision
    return obj


def plain(obj: Any) -> Any:
    """obj as plain JSON data (dict, list, str, int, float, bool, None), keeping key order: a
    round trip through the C JSON codec, or the slow walk for what that codec cannot carry."""
    if isinstance(obj, (dict, list, tuple)):
        try:
            return _C_SCAN(_C_PLAIN(obj), 0)[0]
        except (TypeError, ValueError, RecursionError):
            pass
    return _plain(obj)


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if hasattr(obj, "to_json") and not isinstance(obj, str):
        return _plain(obj.to_json())
    return obj
