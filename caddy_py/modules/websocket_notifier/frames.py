"""RFC 6455 framing for the server side of a subscriber link, sans-I/O.

`FrameReader.feed(data)` returns complete messages (data messages reassembled from
fragments, control frames as they come); `build(opcode, payload)` makes an unmasked server
frame. permessage-deflate (RFC 7692, no context takeover both ways) is optional.
"""
from __future__ import annotations

import base64
import hashlib
import struct
import zlib
from typing import NamedTuple

try:  # aiohttp ships a C implementation of the XOR unmasking
    from aiohttp._websocket.helpers import websocket_mask as _mask_inplace
except ImportError:  # pragma: no cover
    def _mask_inplace(mask: bytes, data: bytearray) -> None:
        n = len(data)
        key = int.from_bytes((mask * (n // 4 + 1))[:n], "little")
        data[:] = (int.from_bytes(data, "little") ^ key).to_bytes(n, "little")

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


def accept_key(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def build(opcode: int, payload: bytes = b"", rsv1: bool = False) -> bytes:
    first = 0x80 | opcode | (0x40 if rsv1 else 0)
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


def close_payload(code: int, reason: str = "") -> bytes:
    return struct.pack("!H", code) + reason.encode()[:123]


def deflate_message(data: bytes) -> bytes:
    """permessage-deflate body of one message (no context takeover: same bytes for everyone)."""
    c = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    return out[:-4] if out.endswith(_DEFLATE_TAIL) else out


class Message(NamedTuple):
    opcode: int
    data: bytes


class FrameError(Exception):
    """The peer broke the protocol; close with `code`."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


class FrameReader:
    __slots__ = ("max_size", "deflate", "_buf", "_frag_op", "_frag", "_frag_len", "_frag_rsv1")

    def __init__(self, max_size: int, deflate: bool = False) -> None:
        self.max_size = max_size  # 0 = unlimited
        self.deflate = deflate
        self._buf = bytearray()
        self._frag_op = -1
        self._frag: list[bytes] | None = None  # a fragmented message's parts; None between them
        self._frag_len = 0
        self._frag_rsv1 = False

    def feed(self, data: bytes) -> list[Message]:
        buf = self._buf
        buf += data
        out: list[Message] = []
        pos = 0
        end = len(buf)
        limit = self.max_size
        while end - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            fin, rsv1, op = b0 & 0x80, b0 & 0x40, b0 & 0x0F
            if b0 & 0x30 or (rsv1 and (not self.deflate or op >= 0x8 or op == OP_CONT)):
                raise FrameError(1002, "reserved bits set")
            if not b1 & 0x80:
                raise FrameError(1002, "client frame not masked")
            n = b1 & 0x7F
            hdr = 2
            if n == 126:
                if end - pos < 4:
                    break
                n = int.from_bytes(buf[pos + 2:pos + 4], "big")
                hdr = 4
            elif n == 127:
                if end - pos < 10:
                    break
                n = int.from_bytes(buf[pos + 2:pos + 10], "big")
                hdr = 10
            if op >= 0x8:
                if n > 125 or not fin:
                    raise FrameError(1002, "bad control frame")
            elif limit and (n > limit or self._frag_len + n > limit):
                raise FrameError(1009, "message too big")
            if end - pos < hdr + 4 + n:
                break
            mask = bytes(buf[pos + hdr:pos + hdr + 4])
            payload = bytearray(buf[pos + hdr + 4:pos + hdr + 4 + n])
            pos += hdr + 4 + n
            if n:
                _mask_inplace(mask, payload)
            if op >= 0x8:
                if op not in (OP_CLOSE, OP_PING, OP_PONG):
                    raise FrameError(1002, "unknown opcode")
                out.append(Message(op, bytes(payload)))
                continue
            if op == OP_CONT:
                if self._frag_op < 0:
                    raise FrameError(1002, "unexpected continuation")
            elif op in (OP_TEXT, OP_BINARY):
                if self._frag_op >= 0:
                    raise FrameError(1002, "expected continuation")
                self._frag_op = op
                self._frag_rsv1 = bool(rsv1)
            else:
                raise FrameError(1002, "unknown opcode")
            frag = self._frag
            if fin and frag is None:  # a whole message in one frame: no list of parts
                msg = bytes(payload)
            else:
                if frag is None:
                    frag = self._frag = []
                frag.append(bytes(payload))
                self._frag_len += n
                if not fin:
                    continue
                msg = b"".join(frag)
                self._frag = None
                self._frag_len = 0
            if self._frag_rsv1:
                msg = self._inflate(msg)
            out.append(Message(self._frag_op, msg))
            self._frag_op = -1
        if pos:
            del buf[:pos]
        return out

    def _inflate(self, data: bytes) -> bytes:
        d = zlib.decompressobj(-15)
        limit = self.max_size
        try:
            out = d.decompress(data + _DEFLATE_TAIL, limit + 1 if limit else 0)
        except zlib.error:
            raise FrameError(1007, "bad deflate data") from None
        if limit and len(out) > limit:
            raise FrameError(1009, "message too big")
        return out
