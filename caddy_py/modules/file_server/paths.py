"""Mapping request paths to files the way Caddy does: the decoded path is cleaned as an
absolute path before joining (so `..`, `%2e%2e` and encoded slashes can never climb above the
root), and `hide` patterns match path components or absolute prefixes."""
from __future__ import annotations

import mimetypes
import os

from caddy_py.http.matchers.path import glob_regex

# Go's built-in mime table wins over the system's (mime.TypeByExtension)
_GO_TYPES = {
    ".avif": "image/avif", ".css": "text/css; charset=utf-8", ".gif": "image/gif",
    ".htm": "text/html; charset=utf-8", ".html": "text/html; charset=utf-8",
    ".jpeg": "image/jpeg", ".jpg": "image/jpeg", ".js": "text/javascript; charset=utf-8",
    ".json": "application/json", ".mjs": "text/javascript; charset=utf-8",
    ".pdf": "application/pdf", ".png": "image/png", ".svg": "image/svg+xml",
    ".wasm": "application/wasm", ".webp": "image/webp", ".xml": "text/xml; charset=utf-8",
}


def clean_url_path(p: str) -> str:
    """Go's path.Clean for an absolute slash path."""
    out: list[str] = []
    for seg in p.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    return "/" + "/".join(out)


def sanitized_join(root: str, req_path: str) -> str:
    """caddyhttp.SanitizedPathJoin: never above `root`; keeps a trailing slash."""
    root = root or "."
    rel = clean_url_path("/" + req_path)[1:]  # a NUL stays: stat() then fails with 400, as in Go
    joined = os.path.normpath(os.path.join(root, rel)) if rel else os.path.normpath(root)
    if req_path.endswith("/") and len(req_path) > 1:
        joined += "/"
    return joined


def content_type(filename: str) -> str:
    ext = os.path.splitext(filename)[1].lower()
    if ext in _GO_TYPES:
        return _GO_TYPES[ext]
    typ, _ = mimetypes.guess_type("x" + ext, strict=False) if ext else (None, None)
    if not typ:
        return ""
    if typ.startswith("text/") and "charset" not in typ:
        typ += "; charset=utf-8"
    return typ


def _go_match(pattern: str, name: str) -> bool:
    """filepath.Match (same syntax as path.Match on a slash-separated system)."""
    regex = glob_regex(pattern)
    return regex is not None and regex.match(name) is not None


def absolute_hide_list(patterns: list[str]) -> list[str]:
    return [os.path.abspath(h) if "/" in h else h for h in patterns]


def file_hidden(filename: str, hide: list[str]) -> bool:
    if not hide:
        return False
    filename = os.path.abspath(filename)
    components = filename.split("/")
    for h in hide:
        if "/" not in h:
            if any(_go_match(h, c) for c in components):
                return True
        elif filename.startswith(h) and filename[len(h):].startswith("/"):
            return True
        if _go_match(h, filename):
            return True
    return False
