"""Go's http.DetectContentType (the WHATWG MIME sniffing subset net/http applies when a
response has no Content-Type): what Caddy's clients see for upstream bodies without one."""
from __future__ import annotations

import re

_WS = b"\t\n\x0c\r "
_HTML_TAGS = (b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV",
              b"<FONT", b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P",
              b"<!--")

# (pattern as a regex over bytes, type); checked in Go's order after the HTML/XML checks
_EXACT: list[tuple[re.Pattern[bytes], str]] = [(re.compile(p, re.S), t) for p, t in [
    (rb"%PDF-", "application/pdf"),
    (rb"%!PS-Adobe-", "application/postscript"),
    (rb"\xfe\xff", "text/plain; charset=utf-16be"),
    (rb"\xff\xfe", "text/plain; charset=utf-16le"),
    (rb"\xef\xbb\xbf", "text/plain; charset=utf-8"),
    (rb"\x00\x00\x01\x00", "image/x-icon"),
    (rb"\x00\x00\x02\x00", "image/x-icon"),
    (rb"BM", "image/bmp"),
    (rb"GIF8[79]a", "image/gif"),
    (rb"RIFF....WEBPVP", "image/webp"),
    (rb"\x89PNG\r\n\x1a\n", "image/png"),
    (rb"\xff\xd8\xff", "image/jpeg"),
    (rb"FORM....AIFF", "audio/aiff"),
    (rb"ID3", "audio/mpeg"),
    (rb"OggS\x00", "application/ogg"),
    (rb"MThd\x00\x00\x00\x06", "audio/midi"),
    (rb"RIFF....AVI ", "video/avi"),
    (rb"RIFF....WAVE", "audio/wave"),
]]
_LATE: list[tuple[re.Pattern[bytes], str]] = [(re.compile(p, re.S), t) for p, t in [
    (rb"\x1a\x45\xdf\xa3", "video/webm"),
    (rb"\x00\x01\x00\x00", "font/ttf"),
    (rb"OTTO", "font/otf"),
    (rb"ttcf", "font/collection"),
    (rb"wOFF", "font/woff"),
    (rb"wOF2", "font/woff2"),
    (rb"\x1f\x8b\x08", "application/x-gzip"),
    (rb"PK\x03\x04", "application/zip"),
    (rb"Rar!\x1a\x07\x00", "application/x-rar-compressed"),
    (rb"Rar!\x1a\x07\x01\x00", "application/x-rar-compressed"),
    (rb"\x00asm", "application/wasm"),
]]
_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _is_mp4(data: bytes) -> bool:
    if len(data) < 12:
        return False
    box = int.from_bytes(data[:4], "big")
    if len(data) < box or box % 4 != 0 or data[4:8] != b"ftyp":
        return False
    for st in range(8, box, 4):
        if st == 12:
            continue  # the minor version
        if data[st:st + 3] == b"mp4":
            return True
    return False


def detect_content_type(data: bytes) -> str:
    data = data[:512]
    stripped = data.lstrip(_WS)
    upper = stripped[:16].upper()
    for tag in _HTML_TAGS:
        if upper.startswith(tag) and len(stripped) > len(tag) and stripped[len(tag)] in b" >":
            return "text/html; charset=utf-8"
    if stripped.startswith(b"<?xml"):
        return "text/xml; charset=utf-8"
    for pat, typ in _EXACT:
        if pat.match(data):
            return typ
    if _is_mp4(data):
        return "video/mp4"
    for pat, typ in _LATE:
        if pat.match(data):
            return typ
    if not _BINARY.search(data):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"
