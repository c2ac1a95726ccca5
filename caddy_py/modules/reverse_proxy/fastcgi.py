"""`http.reverse_proxy.transport.fastcgi`: the FastCGI responder protocol (what php_fastcgi
uses). One connection per request: BEGIN_REQUEST, the CGI environment as PARAMS, the body as
STDIN; the STDOUT stream is a CGI response (headers, `Status:`, then the body).
"""
from __future__ import annotations

import asyncio
import logging
import os
import struct
from typing import TYPE_CHECKING, Any, AsyncIterator
from urllib.parse import unquote

from multidict import CIMultiDict

from caddy_py.config.durations import duration_seconds as seconds
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError

from .dialinfo import DialInfo
from .errors import classify
from .response import UpstreamResponse

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request

log = logging.getLogger("http.reverse_proxy.transport.fastcgi")

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7
RESPONDER = 1
MAX_RECORD = 65535
SERVER_SOFTWARE = "Caddy/v2.11.7"


def record(kind: int, content: bytes, req_id: int = 1) -> bytes:
    pad = -len(content) % 8
    return struct.pack("!BBHHBx", 1, kind, req_id, len(content), pad) + content + b"\x00" * pad


def stream_records(kind: int, data: bytes) -> bytes:
    out = [record(kind, data[i:i + MAX_RECORD]) for i in range(0, len(data), MAX_RECORD)]
    return b"".join(out)


def _nv_len(n: int) -> bytes:
    return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_params(env: dict[str, str]) -> bytes:
    out = bytearray()
    for k, v in env.items():
        kb, vb = k.encode(), v.encode()
        out += _nv_len(len(kb)) + _nv_len(len(vb)) + kb + vb
    return bytes(out)


def split_pos(path: str, splits: list[str]) -> int:
    """End of the first split_path match (ASCII case-insensitive), -1 if none, 0 if unset."""
    if not splits:
        return 0
    low = "".join(c.lower() if c < "\x80" else "\x00" for c in path)
    for s in splits:
        if s and len(s) <= len(path):
            i = low.find(s)
            if i >= 0:
                return i + len(s)
    return -1


@register("http.reverse_proxy.transport.fastcgi")
class FastCGITransport:
    scheme = "http"
    ssl = None
    server_name = ""
    compression = False
    response_header_timeout = 0.0
    # php-fpm needs CONTENT_LENGTH: buffer request bodies unless configured otherwise
    default_buffer_sizes = (4096, 0)

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.root = str(cfg.get("root") or "{http.vars.root}")
        self.split_path = [s.lower() for s in cfg.get("split_path") or []]
        for s in self.split_path:
            if not s.isascii():
                raise ValueError("split path contains non-ASCII characters")
        self.env: dict[str, str] = dict(cfg.get("env") or {})
        self.resolve_root_symlink = bool(cfg.get("resolve_root_symlink"))
        self.dial_timeout = seconds(cfg.get("dial_timeout"), 3.0)
        self.read_timeout = seconds(cfg.get("read_timeout"))
        self.write_timeout = seconds(cfg.get("write_timeout"))
        self.capture_stderr = bool(cfg.get("capture_stderr"))

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "FastCGITransport":
        return cls(cfg)

    async def cleanup(self) -> None:
        return None

    def build_env(self, req: "Request", method: str, target: str, hdrs: CIMultiDict[str]) -> dict[str, str]:
        repl = req.replacer
        from caddy_py.modules.file_server.paths import sanitized_join

        ip, _, port = req.remote_addr.rpartition(":")
        if not _:
            ip, port = req.remote_addr, ""
        ip = ip.replace("[", "", 1).replace("]", "", 1)
        root = os.path.abspath(repl.replace_all(self.root, "."))
        if self.resolve_root_symlink:
            root = os.path.realpath(root)
        raw_path, _, query = target.partition("?")
        fpath = unquote(raw_path)
        script_name, doc_uri, path_info = fpath, fpath, ""
        pos = split_pos(fpath, self.split_path)
        if pos > -1:
            doc_uri, path_info = fpath[:pos], fpath[pos:]
            script_name = script_name.removesuffix(path_info) if path_info else script_name
        if not path_info:
            val, ok = repl.get("http.matchers.file.remainder")
            path_info = str(val) if ok and val is not None else ""
        script_filename = sanitized_join(root, script_name)
        if script_name and not script_name.startswith("/"):
            script_name = "/" + script_name
        host = hdrs.get("Host", req.host)
        req_host, sep, req_port = host.rpartition(":")
        if not sep or "]" in req_port:
            req_host, req_port = host, ""
        user, _ok = repl.get("http.auth.user.id")
        v = req.raw.version
        env = {
            "AUTH_TYPE": "", "CONTENT_LENGTH": hdrs.get("Content-Length", ""),
            "CONTENT_TYPE": hdrs.get("Content-Type", ""), "GATEWAY_INTERFACE": "CGI/1.1",
            "PATH_INFO": path_info, "QUERY_STRING": query, "REMOTE_ADDR": ip, "REMOTE_HOST": ip,
            "REMOTE_PORT": port, "REMOTE_IDENT": "", "REMOTE_USER": str(user or ""),
            "REQUEST_METHOD": method, "REQUEST_SCHEME": req.scheme, "SERVER_NAME": req_host.strip("[]"),
            "SERVER_PROTOCOL": f"HTTP/{v.major}.{v.minor}", "SERVER_SOFTWARE": SERVER_SOFTWARE,
            "DOCUMENT_ROOT": root, "DOCUMENT_URI": doc_uri, "HTTP_HOST": host,
            "REQUEST_URI": req.raw.raw_path, "SCRIPT_FILENAME": script_filename,
            "SCRIPT_NAME": script_name,
        }
        sock = req.raw.transport.get_extra_info("sockname") if req.raw.transport else None
        if sock:
            env["SERVER_ADDR"] = str(sock[0])
        if path_info:
            env["PATH_TRANSLATED"] = sanitized_join(root, path_info)
        env["SERVER_PORT"] = req_port or ("443" if req.scheme == "https" else "80")
        if req.scheme == "https":
            env["HTTPS"] = "on"
        for k, val in self.env.items():
            env[k] = repl.replace_all(val, "")
        for name in {k.lower(): k for k in hdrs.keys()}.values():
            if name.lower() in ("proxy", "host"):
                continue
            env["HTTP_" + name.upper().replace("-", "_")] = ", ".join(hdrs.getall(name))
        return env

    async def round_trip(self, req: "Request", di: DialInfo, method: str, target: str,
                         hdrs: CIMultiDict[str], body: Any, upgrade: str = "") -> UpstreamResponse:
        if "\x00" in unquote(target.split("?", 1)[0]):
            raise HandlerError(400, "invalid request path")
        data = b""
        if body is not None:
            data = body if isinstance(body, bytes) else b"".join([c async for c in body()])
            hdrs["Content-Length"] = str(len(data))
        env = self.build_env(req, method, target, hdrs)
        env["REQUEST_METHOD"] = method
        env["CONTENT_LENGTH"] = hdrs.get("Content-Length", "0" if method != "HEAD" else "")
        if method not in ("GET", "HEAD", "OPTIONS") and not env["CONTENT_TYPE"]:
            env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        try:
            async with asyncio.timeout(self.dial_timeout or None):
                if di.unix_path:
                    reader, writer = await asyncio.open_unix_connection(di.unix_path)
                else:
                    reader, writer = await asyncio.open_connection(di.connect_host, int(di.port))
        except (OSError, asyncio.TimeoutError) as e:
            raise classify(e, connecting=True, address=di.address) from e
        payload = (record(BEGIN_REQUEST, struct.pack("!HB5x", RESPONDER, 0))
                   + stream_records(PARAMS, encode_params(env)) + record(PARAMS, b"")
                   + stream_records(STDIN, data) + record(STDIN, b""))
        try:
            writer.write(payload)
            async with asyncio.timeout(self.write_timeout or None):
                await writer.drain()
            stdout = self._stdout(reader)
            head = b""
            async for chunk in stdout:
                head += chunk
                if b"\r\n\r\n" in head or b"\n\n" in head:
                    break
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as e:
            writer.close()
            raise classify(e, connecting=False) from e
        status, reason, headers, rest = parse_cgi_head(head)

        async def body_chunks() -> AsyncIterator[bytes]:
            if rest:
                yield rest
            async for chunk in stdout:
                yield chunk

        return UpstreamResponse(status, reason, "1.1", headers, body_chunks(), writer.close)

    async def _stdout(self, reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while True:
            async with asyncio.timeout(self.read_timeout or None):
                head = await reader.readexactly(8)
                _, kind, _, length, pad = struct.unpack("!BBHHBx", head)
                content = await reader.readexactly(length + pad)
            content = content[:length]
            if kind == STDOUT and content:
                yield content
            elif kind == STDERR and content and self.capture_stderr:
                log.error("stderr", extra={"body": content.decode("utf-8", "replace")})
            elif kind == END_REQUEST:
                return


def parse_cgi_head(head: bytes) -> tuple[int, str, CIMultiDict[str], bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        if sep in head:
            block, rest = head.split(sep, 1)
            break
    else:
        block, rest = head, b""
    headers: CIMultiDict[str] = CIMultiDict()
    for line in block.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if ":" in line:
            k, _, v = line.partition(":")
            headers.add(k.strip(), v.strip())
    status, reason = 200, ""
    if headers.get("Status"):
        code, _, reason = headers["Status"].partition(" ")
        status = int(code)
    return status, reason, headers, rest
