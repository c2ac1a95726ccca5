"""Wire messages of the notifier (PROTOCOL.md §2.3, §2.6, §3–§6), Go-compatible on both ends.

Outbound documents are built as bytes exactly as Go's `json.Encoder` writes them: struct field
order, empty fields omitted, `<>&` and U+2028/U+2029 escaped, a trailing newline. A backend
event's `payload` is kept as the backend's raw JSON text, compacted and escaped, never
re-serialized. Subscriber requests are parsed strictly (a bad one closes the link with 1007);
backend messages are decoded with msgspec on the hot path.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable

import msgspec

# -- encoding ------------------------------------------------------------------------------

_GO_ESCAPES = (
    (b"<", b"\\u003c"), (b">", b"\\u003e"), (b"&", b"\\u0026"),
    ("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"),
)
_NEEDS_ESCAPE = re.compile("[<>&\u2028\u2029]".encode())


def go_escape(data: bytes) -> bytes:
    """Apply Go's HTML-safe escapes to JSON text (they can only occur inside strings)."""
    if _NEEDS_ESCAPE.search(data) is None:
        return data
    for raw, esc in _GO_ESCAPES:
        data = data.replace(raw, esc)
    return data


def dumps(value: Any) -> bytes:
    """One JSON value as Go's encoder writes it (without the trailing newline)."""
    return go_escape(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


def compact_raw(raw: bytes) -> bytes:
    """The backend's raw JSON with insignificant whitespace removed, tokens kept verbatim.

    Invalid UTF-8 (which Go would pass through into a text frame, a WebSocket protocol
    error for the subscriber) becomes U+FFFD.
    """
    if not raw.isascii():
        try:
            raw.decode()
        except UnicodeDecodeError:
            raw = raw.decode("utf-8", "replace").encode()
    return go_escape(msgspec.json.format(raw, indent=-1))


def encode(fields: Iterable[tuple[str, Any]]) -> bytes:
    """A document from (key, value) pairs in order; empty values are omitted as `omitempty` does.

    A value of type `RawJSON` is spliced in as is (it is already compact and escaped).
    """
    parts = []
    for key, value in fields:
        if isinstance(value, RawJSON):
            if not value.data:
                continue
            parts.append(b'"%s":%s' % (key.encode(), value.data))
            continue
        if not value:  # "", 0, None, [], {}
            continue
        if isinstance(value, dict):
            value = dict(sorted(value.items()))
        parts.append(b'"%s":%s' % (key.encode(), dumps(value)))
    return b"{" + b",".join(parts) + b"}\n"


@dataclass(frozen=True, slots=True)
class RawJSON:
    data: bytes


# notifier -> subscriber (field order: operation, request_id, channels, accept, reject, message,
# payload, resume_token, seq — then our additive `recovered`)

def verify(request_id: str, accept: list[str], reject: list[str], message: str, token: str) -> bytes:
    return encode((("operation", "verify"), ("request_id", request_id), ("accept", accept),
                   ("reject", reject), ("message", message), ("resume_token", token)))


RESUME_FAILED = encode((("operation", "resume_failed"),))


def resume_success(channels: list[str], recovered: bool) -> bytes:
    doc = encode((("operation", "resume_success"), ("channels", channels)))
    return doc[:-2] + (b',"recovered":true}\n' if recovered else b',"recovered":false}\n')


def unsubscribed(channels: list[str]) -> bytes:
    return encode((("operation", "unsubscribed"), ("channels", channels)))


def event_prefix(channels: list[str], payload: bytes | None) -> bytes:
    """Everything of an `event` document up to its seq: `{"operation":"event",...`."""
    doc = b'{"operation":"event"'
    if channels:
        doc += b',"channels":' + dumps(channels)
    if payload:
        doc += b',"payload":' + payload
    return doc


def event(prefix: bytes, seq: int) -> bytes:
    return b'%s,"seq":%d}\n' % (prefix, seq) if seq else prefix + b"}\n"


# notifier -> backend (operation, subscription_id, request_id, channels, credential, metadata)

def backend_subscribe(token: str, request_id: str, channels: list[str], credential: str,
                      metadata: dict[str, str]) -> bytes:
    return encode((("operation", "subscribe"), ("subscription_id", token), ("request_id", request_id),
                   ("channels", channels), ("credential", credential), ("metadata", metadata)))


def backend_unsubscribe(channels: list[str]) -> bytes:
    return encode((("operation", "unsubscribe"), ("channels", channels)))


def backend_resume(channels: list[str]) -> bytes:
    return encode((("operation", "resume"), ("channels", channels)))


# -- subscriber requests (strict) ----------------------------------------------------------

class ProtocolError(ValueError):
    """A subscriber frame that is not a request: the link is closed with 1007."""


@dataclass(slots=True)
class SubscriberRequest:
    operation: str = ""
    request_id: str = ""
    credential: str = ""
    channels: tuple[str, ...] = ()
    resume_token: str = ""
    seq: int = 0


_U64 = 2**64 - 1
_SURROGATE = re.compile("[\ud800-\udfff]")
_FIELDS = {"operation", "request_id", "credential", "channels", "resume_token", "seq"}


def _no_constants(name: str) -> Any:
    raise ProtocolError(f"invalid JSON constant {name}")


_DECODER = json.JSONDecoder(parse_constant=_no_constants)
_WS = re.compile(r"[ \t\n\r]*")


def _text(value: Any, key: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProtocolError(f"{key}: expected a string")
    return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value


def parse_request(data: bytes) -> SubscriberRequest:
    """Parse one subscriber request the way Go's `Decoder.Decode` into SubscriberRequest does.

    Only the first JSON value counts; keys match case-insensitively and the last one wins;
    `null` means absent; invalid UTF-8 becomes U+FFFD. Raises ProtocolError otherwise.
    """
    text = data.decode("utf-8", "replace")
    start = _WS.match(text).end()  # type: ignore[union-attr]
    try:
        value, _ = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError) as e:
        raise ProtocolError(str(e)) from None
    req = SubscriberRequest()
    if value is None:
        return req
    if not isinstance(value, dict):
        raise ProtocolError("request is not a JSON object")
    found: dict[str, Any] = {}
    for key, v in value.items():  # json keeps the last of duplicate keys
        k = key.lower()
        if k in _FIELDS:
            found[k] = v
    if found.get("channels") is not None:
        chans = found["channels"]
        if not isinstance(chans, list):
            raise ProtocolError("channels: expected a list")
        req.channels = tuple(_text(c, "channels") for c in chans)
    seq = found.get("seq")
    if seq is not None:
        if type(seq) is not int or not 0 <= seq <= _U64:
            raise ProtocolError("seq: expected an unsigned integer")
        req.seq = seq
    req.operation = _text(found.get("operation"), "operation")
    req.request_id = _text(found.get("request_id"), "request_id")
    req.credential = _text(found.get("credential"), "credential")
    req.resume_token = _text(found.get("resume_token"), "resume_token")
    return req


# -- backend messages (hot path) -----------------------------------------------------------

class BackendMessage(msgspec.Struct):
    operation: str | None = None
    subscription_id: str | None = None
    request_id: str | None = None
    channels: list[str | None] | None = None
    accept: list[str | None] | None = None
    reject: list[str | None] | None = None
    message: str | None = None
    payload: msgspec.Raw = msgspec.Raw(b"")
    credential: str | None = None


_BACKEND = msgspec.json.Decoder(BackendMessage)


_ESCAPES = re.compile(r"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
                      r"|\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _fix_surrogate(m: re.Match[str]) -> str:
    text = m.group(0)
    return text if text == "\\\\" or len(text) == 12 else "\\ufffd"


def parse_backend(data: bytes) -> BackendMessage:
    """Decode one backend frame; raises msgspec.DecodeError (or ValueError) when malformed."""
    try:
        return _BACKEND.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        # Go accepts invalid UTF-8 and lone surrogate escapes inside strings (both become
        # U+FFFD); msgspec rejects them, so retry once on repaired text
        fixed = _ESCAPES.sub(_fix_surrogate, data.decode("utf-8", "replace")).encode()
        if fixed == data:
            raise
        return _BACKEND.decode(fixed)


def strs(values: list[str | None] | None) -> list[str]:
    """A Go []string decoded from JSON: null elements become ""."""
    if not values:
        return []
    return ["" if v is None else v for v in values]
