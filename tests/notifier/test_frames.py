"""Server-side RFC 6455 framing: client frames in, server frames out."""
from __future__ import annotations

import os
import struct
import zlib

import pytest

from caddy_py.modules.websocket_notifier import frames as f


def client_frame(op: int, payload: bytes, fin: bool = True, rsv1: bool = False, masked: bool = True) -> bytes:
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | op
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        head = bytes((first, mask_bit | n))
    elif n < 65536:
        head = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        head = struct.pack("!BBQ", first, mask_bit | 127, n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def test_accept_key_rfc_example() -> None:
    assert f.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_build_lengths(size: int) -> None:
    frame = f.build(f.OP_TEXT, b"x" * size)
    assert frame[0] == 0x81 and frame.endswith(b"x" * size)
    assert len(frame) - size == (2 if size < 126 else 4 if size < 65536 else 10)


def test_byte_by_byte_and_fragments_with_interleaved_ping() -> None:
    r = f.FrameReader(0)
    data = (client_frame(f.OP_TEXT, b"hel", fin=False) + client_frame(f.OP_PING, b"p")
            + client_frame(f.OP_CONT, b"lo", fin=False) + client_frame(f.OP_CONT, b"!") + client_frame(f.OP_BINARY, b"\0" * 300))
    got = []
    for i in range(len(data)):
        got += r.feed(data[i:i + 1])
    assert got == [(f.OP_PING, b"p"), (f.OP_TEXT, b"hello!"), (f.OP_BINARY, b"\0" * 300)]


@pytest.mark.parametrize("frame,code", [
    (client_frame(f.OP_TEXT, b"x", masked=False), 1002),
    (client_frame(f.OP_TEXT, b"x", rsv1=True), 1002),
    (client_frame(f.OP_CONT, b"x"), 1002),
    (client_frame(0x3, b"x"), 1002),
    (client_frame(f.OP_PING, b"x" * 126), 1002),
    (client_frame(f.OP_TEXT, b"x" * 11), 1009),
    (client_frame(f.OP_TEXT, b"x" * 6, fin=False) + client_frame(f.OP_CONT, b"x" * 6), 1009),
])
def test_protocol_errors(frame: bytes, code: int) -> None:
    with pytest.raises(f.FrameError) as e:
        f.FrameReader(10).feed(frame)
    assert e.value.code == code


def test_oversize_detected_from_header_alone() -> None:
    with pytest.raises(f.FrameError) as e:
        f.FrameReader(1000).feed(struct.pack("!BBQ", 0x81, 0x80 | 127, 10**9))
    assert e.value.code == 1009


def test_permessage_deflate_both_ways() -> None:
    body = f.deflate_message(b'{"a":"' + b"z" * 1000 + b'"}')
    assert zlib.decompressobj(-15).decompress(body + b"\x00\x00\xff\xff") == b'{"a":"' + b"z" * 1000 + b'"}'
    r = f.FrameReader(2000, deflate=True)
    assert r.feed(client_frame(f.OP_TEXT, body, rsv1=True)) == [(f.OP_TEXT, b'{"a":"' + b"z" * 1000 + b'"}')]
    with pytest.raises(f.FrameError) as e:  # the inflated size counts too
        f.FrameReader(500, deflate=True).feed(client_frame(f.OP_TEXT, body, rsv1=True))
    assert e.value.code == 1009
    with pytest.raises(f.FrameError) as e:
        f.FrameReader(500, deflate=True).feed(client_frame(f.OP_TEXT, b"\xff\xff\xff", rsv1=True))
    assert e.value.code == 1007
