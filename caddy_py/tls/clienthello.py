"""Reading a TLS ClientHello without consuming it: the server name (SNI) and offered ALPN.

The listener peeks at the first bytes of a connection so the connection policy (protocol
versions, ciphers, client authentication) can be chosen *before* OpenSSL starts the handshake:
Python's SNI callback can only swap certificates, not those settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field

HANDSHAKE = 0x16
CLIENT_HELLO = 1
MAX_HELLO = 5 + 16384 * 4  # a ClientHello spanning a few records is still accepted


class NotTLS(Exception):
    """The bytes are not a TLS handshake (e.g. plain HTTP sent to an HTTPS port)."""


@dataclass
class ClientHello:
    server_name: str = ""
    alpn: list[str] = field(default_factory=list)


def parse_client_hello(data: bytes) -> ClientHello | None:
    """The ClientHello in `data`, or None if more bytes are needed. Raises NotTLS."""
    if not data:
        return None
    if data[0] != HANDSHAKE:
        raise NotTLS()
    body = bytearray()
    pos = 0
    while True:
        if len(data) < pos + 5:
            return None
        if data[pos] != HANDSHAKE:
            raise NotTLS()
        n = int.from_bytes(data[pos + 3:pos + 5], "big")
        if len(data) < pos + 5 + n:
            return None
        body += data[pos + 5:pos + 5 + n]
        pos += 5 + n
        if len(body) >= 4:
            if body[0] != CLIENT_HELLO:
                raise NotTLS()
            need = 4 + int.from_bytes(body[1:4], "big")
            if len(body) >= need:
                return _parse_body(bytes(body[4:need]))
        if pos >= MAX_HELLO:
            raise NotTLS()


def _parse_body(b: bytes) -> ClientHello:
    hello = ClientHello()
    try:
        p = 2 + 32
        p += 1 + b[p]  # session id
        p += 2 + int.from_bytes(b[p:p + 2], "big")  # cipher suites
        p += 1 + b[p]  # compression methods
        if p + 2 > len(b):
            return hello
        end = min(len(b), p + 2 + int.from_bytes(b[p:p + 2], "big"))
        p += 2
        while p + 4 <= end:
            typ = int.from_bytes(b[p:p + 2], "big")
            ln = int.from_bytes(b[p + 2:p + 4], "big")
            ext = b[p + 4:p + 4 + ln]
            p += 4 + ln
            if typ == 0:
                hello.server_name = _server_name(ext)
            elif typ == 16:
                hello.alpn = _alpn(ext)
    except IndexError:
        pass
    return hello


def _server_name(ext: bytes) -> str:
    p, end = 2, 2 + int.from_bytes(ext[0:2], "big")
    while p + 3 <= min(end, len(ext)):
        typ, ln = ext[p], int.from_bytes(ext[p + 1:p + 3], "big")
        if typ == 0:
            return ext[p + 3:p + 3 + ln].decode("ascii", "replace").lower().rstrip(".")
        p += 3 + ln
    return ""


def _alpn(ext: bytes) -> list[str]:
    out, p = [], 2
    while p < len(ext):
        ln = ext[p]
        out.append(ext[p + 1:p + 1 + ln].decode("ascii", "replace"))
        p += 1 + ln
    return out
