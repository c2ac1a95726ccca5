"""The slices of Go's net/url and path that rewriting depends on, byte for byte.

Paths are `str` holding UTF-8 text; bytes that are not UTF-8 survive as surrogate escapes.
"""
from __future__ import annotations

from urllib.parse import quote

from caddy_py.http.matchers.path import go_clean as clean  # Go's path.Clean

_HEX = "0123456789abcdefABCDEF"
# url.EscapedPath / escape(s, encodePath): unreserved plus these stay as they are
_PATH_SAFE = "-_.~$&+,/:;=@"
_VALID_ENCODED_EXTRA = set("!$&'()*+,;=:@[]%")


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _s(b: bytes) -> str:
    return b.decode("utf-8", "surrogateescape")


def unescape(s: str, query: bool = False) -> str:
    """url.PathUnescape (or QueryUnescape with query=True); ValueError on a bad escape."""
    if "%" not in s and not (query and "+" in s):
        return s
    raw = _b(s)
    out = bytearray()
    i, n = 0, len(raw)
    while i < n:
        c = raw[i]
        if c == 0x25:  # %
            if i + 2 >= n or chr(raw[i + 1]) not in _HEX or chr(raw[i + 2]) not in _HEX:
                raise ValueError(f"invalid URL escape {_s(bytes(raw[i:i + 3]))!r}")
            out.append(int(raw[i + 1:i + 3], 16))
            i += 3
            continue
        out.append(0x20 if query and c == 0x2B else c)
        i += 1
    return _s(bytes(out))


def escape_path(path: str) -> str:
    """url.URL{Path: p}.EscapedPath() without a RawPath."""
    if path == "*":
        return "*"
    return quote(_b(path), safe=_PATH_SAFE)


def valid_encoded(s: str) -> bool:
    for ch in s:
        if ch.isascii() and (ch.isalnum() or ch in _PATH_SAFE or ch in _VALID_ENCODED_EXTRA):
            continue
        return False
    return True


def escaped_path(path: str, raw_path: str) -> str:
    """url.URL.EscapedPath(): RawPath when it is a valid encoding of Path, else Path escaped."""
    if raw_path and valid_encoded(raw_path):
        try:
            if unescape(raw_path) == path:
                return raw_path
        except ValueError:
            pass
    return escape_path(path)


def query_escape(s: str) -> str:
    return quote(_b(s), safe="-_.~").replace("%20", "+")


def parse_query(qs: str) -> dict[str, list[str]]:
    """url.ParseQuery, keeping what parses (pairs with `;` or bad escapes are dropped)."""
    out: dict[str, list[str]] = {}
    for part in qs.split("&"):
        if not part or ";" in part:
            continue
        key, _, val = part.partition("=")
        try:
            key, val = unescape(key, True), unescape(val, True)
        except ValueError:
            continue
        out.setdefault(key, []).append(val)
    return out


def encode_query(values: dict[str, list[str]]) -> str:
    """url.Values.Encode(): keys sorted, each value as key=value."""
    parts = []
    for key in sorted(values, key=_b):
        k = query_escape(key)
        parts.extend(f"{k}={query_escape(v)}" for v in values[key])
    return "&".join(parts)


def clean_path(p: str, merge_slashes: bool) -> str:
    """caddyhttp.CleanPath: path.Clean keeping a trailing slash; optionally keep empty segments
    (a marker before every second `/` of a run, exactly as Caddy, so `///` stays `///`)."""
    if p == "":
        return ""
    if merge_slashes:
        return _clean_keep_trailing(p)
    marker = "\uffff"
    buf = []
    for i, ch in enumerate(p):
        if ch == "/" and i > 0 and p[i - 1] == "/":
            buf.append(marker)
        buf.append(ch)
    return _clean_keep_trailing("".join(buf)).replace(marker, "")


def _clean_keep_trailing(p: str) -> str:
    cleaned = clean(p)
    if cleaned != "/" and p.endswith("/"):
        cleaned += "/"
    return cleaned


def quote_segment(s: str) -> str:
    """url.PathEscape: escapes `/` too, for one path segment."""
    return quote(_b(s), safe="-_.~$&+:=@")
