"""Writing file_server answers: whole bodies, file ranges (single and multipart/byteranges),
and Go's http.Redirect 308s. Headers given as (name, value) pairs; `no_type` keeps aiohttp from
adding a Content-Type where Go's server sends none."""
from __future__ import annotations

import os
from html import escape
from typing import Any

from aiohttp import web

from caddy_py.http.request import Request
from caddy_py.http.responses import HeadWithBody

CHUNK = 1 << 18


def redirect(req: Request, to: str) -> web.StreamResponse:
    while to.startswith("//"):
        to = to[1:]
    if req.raw_query:
        to += "?" + req.raw_query
    resp = web.Response(status=308, headers={"Location": to})
    if req.method in ("GET", "HEAD"):
        resp.content_type = "text/html"
        resp.charset = "utf-8"
        if req.method == "GET":
            resp.body = f'<a href="{escape(to)}">Permanent Redirect</a>.\n\n'.encode()
    return resp


def _drop_content_type(resp: web.StreamResponse) -> None:
    resp.headers.popall("Content-Type", None)


async def write_whole(req: Request, status: int, hdrs: list[tuple[str, str]], body: bytes,
                 no_type: bool = False) -> web.StreamResponse:
    resp = HeadWithBody(status=status)  # head and body in one write
    for k, v in hdrs:
        resp.headers.add(k, v)
    if no_type:
        req.on_prepare.append(_drop_content_type)
    if body and req.method != "HEAD":
        resp.headers["Content-Length"] = str(len(body))
    await resp.prepare(req.raw)
    if body and req.method != "HEAD":
        await resp.write(body)
    await resp.write_eof()
    return resp


async def write_range(req: Request, status: int, hdrs: list[tuple[str, str]], fh: Any, start: int,
                  length: int, no_type: bool = False) -> web.StreamResponse:
    resp = HeadWithBody(status=status)  # the head leaves with the first piece of the file
    for k, v in hdrs:
        resp.headers.add(k, v)
    if no_type:
        req.on_prepare.append(_drop_content_type)
    await resp.prepare(req.raw)
    if req.method != "HEAD" and length <= CHUNK:
        fh.seek(start)
        await resp.write_eof(fh.read(length))  # one piece: an encoder can size it whole
        return resp
    if req.method != "HEAD":
        fh.seek(start)
        left = length
        while left > 0:
            chunk = fh.read(min(CHUNK, left))
            if not chunk:
                break
            left -= len(chunk)
            await resp.write(chunk)
    await resp.write_eof()
    return resp


async def write_multipart(req: Request, status: int, hdrs: list[tuple[str, str]], fh: Any,
                     ranges: list[tuple[int, int]], size: int, ctype: str) -> web.StreamResponse:
    boundary = os.urandom(30).hex()[:60]
    parts: list[bytes] = []
    for start, length in ranges:
        head = f"\r\n--{boundary}\r\n" if parts else f"--{boundary}\r\n"
        if ctype:
            head += f"Content-Type: {ctype}\r\n"
        head += f"Content-Range: bytes {start}-{start + length - 1}/{size}\r\n\r\n"
        fh.seek(start)
        parts.append(head.encode() + fh.read(length))
    parts.append(f"\r\n--{boundary}--\r\n".encode())
    body = b"".join(parts)
    hdrs = [(k, v) for k, v in hdrs if k != "Content-Type"]
    hdrs.append(("Content-Type", f"multipart/byteranges; boundary={boundary}"))
    return await write_whole(req, status, hdrs, body)
