"""W3C Trace Context and Baggage header handling, as OpenTelemetry-Go's propagators (the ones
Caddy's `tracing` uses by default: tracecontext and baggage) read and write them.

Extraction is strict (lowercase hex, non-zero IDs, version `ff` refused, version 00 with no
trailing part and flags <= 3); a header that does not parse is ignored and, on injection, left
as it was. Valid tracestate and baggage values are written back normalised.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from urllib.parse import quote, unquote

_HEX_LOWER = re.compile(r"[0-9a-f]*")
FLAGS_KEPT = 0x03  # sampled and random: the flags OpenTelemetry-Go carries over from a parent
SAMPLED = 0x01

_TS_KEY = re.compile(r"[a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13}")
_TS_VALUE = re.compile(r"[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAGGAGE_VALUE = re.compile(r"(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]|%[0-9A-Fa-f]{2})*")
# what a baggage value may hold unescaped when written back (baggage-octet minus '%')
_BAGGAGE_SAFE = "!#$&'()*+-./:<=>?@[]^_`{|}~"


@dataclass
class SpanContext:
    trace_id: str
    span_id: str
    flags: int
    tracestate: str = ""  # normalised; "" when absent or invalid

    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-{self.flags & FLAGS_KEPT:02x}"


def _part(text: str, n: int) -> str | None:
    return text if len(text) == n and _HEX_LOWER.fullmatch(text) else None


def parse_traceparent(value: str, tracestate: str) -> SpanContext | None:
    parts = value.split("-", 4)
    if len(parts) < 4:
        return None
    version, trace_id, span_id, flags = (_part(parts[0], 2), _part(parts[1], 32), _part(parts[2], 16),
                                         _part(parts[3], 2))
    if version is None or trace_id is None or span_id is None or flags is None or version == "ff":
        return None
    extra = len(parts) == 5
    if version == "00" and (extra or int(flags, 16) > 2 + 1):
        return None
    if trace_id == "0" * 32 or span_id == "0" * 16:
        return None
    return SpanContext(trace_id, span_id, int(flags, 16) & FLAGS_KEPT, parse_tracestate(tracestate))


def parse_tracestate(value: str) -> str:
    """The tracestate list re-joined, or "" when it is not a valid list (then it is not sent on)."""
    members: list[str] = []
    keys: set[str] = set()
    for raw in value.split(","):
        if not raw:
            continue
        key, eq, val = raw.partition("=")
        key, val = key.lstrip(" \t"), val.rstrip(" \t")
        if not eq or not _TS_KEY.fullmatch(key) or not _TS_VALUE.fullmatch(val) or key in keys:
            return ""
        keys.add(key)
        members.append(f"{key}={val}")
        if len(members) > 32:
            return ""
    return ",".join(members)


def normalise_baggage(value: str) -> str | None:
    """The baggage list written back (values percent-decoded then re-escaped), None if invalid."""
    if len(value) > 8192:
        return None
    out: list[str] = []
    for raw in value.split(","):
        member, *props = raw.split(";")
        key, eq, val = member.partition("=")
        key, val = key.strip(" \t"), val.strip(" \t")
        if not eq or not _TOKEN.fullmatch(key) or not _BAGGAGE_VALUE.fullmatch(val):
            return None
        text = f"{key}={quote(unquote(val), safe=_BAGGAGE_SAFE)}"
        for prop in props:
            pkey, peq, pval = prop.partition("=")
            pkey, pval = pkey.strip(" \t"), pval.strip(" \t")
            if not _TOKEN.fullmatch(pkey) or (peq and not _BAGGAGE_VALUE.fullmatch(pval)):
                return None
            text += f";{pkey}={pval}" if peq else f";{pkey}"
        out.append(text)
    if len(out) > 180:
        return None
    return ",".join(out)


def new_trace_id() -> str:
    while True:
        tid = secrets.token_hex(16)
        if tid != "0" * 32:
            return tid


def new_span_id() -> str:
    while True:
        sid = secrets.token_hex(8)
        if sid != "0" * 16:
            return sid
