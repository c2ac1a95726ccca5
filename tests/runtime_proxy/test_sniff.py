"""Go's DetectContentType subset used for upstream bodies without a Content-Type."""
from __future__ import annotations

import pytest

from caddy_py.modules.reverse_proxy.sniff import detect_content_type


@pytest.mark.parametrize("data,want", [
    (b"  <!doctype html><p>x", "text/html; charset=utf-8"),
    (b"<HTML>", "text/html; charset=utf-8"),
    (b"<htmlx>", "text/plain; charset=utf-8"),
    (b"\n<?xml version='1.0'?>", "text/xml; charset=utf-8"),
    (b"%PDF-1.7", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n....", "image/png"),
    (b"GIF89a", "image/gif"),
    (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom", "video/mp4"),
    (b"\x1f\x8b\x08\x00", "application/x-gzip"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x00asm\x01", "application/wasm"),
    (b"\xef\xbb\xbfhello", "text/plain; charset=utf-8"),
    (b"plain words", "text/plain; charset=utf-8"),
    (b"\x00\x01\x02binary", "application/octet-stream"),
])
def test_detect(data: bytes, want: str) -> None:
    assert detect_content_type(data) == want
