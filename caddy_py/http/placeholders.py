"""`{http.*}` placeholders computed lazily from the request (Caddy's addHTTPVarsToReplacer).

`http_value(req, key)` is mapped into every request's Replacer by the server; nothing here runs
unless a placeholder asks for it.
"""
from __future__ import annotations

import base64
import ipaddress
import posixpath
import time
import uuid
import weakref
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote

from caddy_py.http.matchers.host import request_host
from caddy_py.http.request import split_target
from caddy_py.replacer import Replacer


def _split_hostport(hp: str) -> tuple[str, str]:
    if hp.startswith("["):
        end = hp.find("]")
        host, rest = hp[1:end], hp[end + 1:]
        return host, rest[1:] if rest.startswith(":") else ""
    if hp.count(":") == 1:
        h, p = hp.split(":", 1)
        return h, p
    return hp, ""


def _port(p: str) -> Any:
    return int(p) if p.isdigit() else p


def _path_part(path: str, idx_s: str) -> tuple[Any, bool]:
    try:
        idx = int(idx_s)
    except ValueError:
        return None, False
    if idx < 0:
        return None, False
    parts = path.split("/")
    if parts and parts[0] == "":
        parts = parts[1:]
    return (parts[idx] if idx < len(parts) else ""), True


def _file_base(p: str) -> str:
    base = posixpath.basename(p.rstrip("/")) or ("/" if p.startswith("/") else ".")
    ext = posixpath.splitext(base)[1] if "." in base else ""
    return base[: len(base) - len(ext)] if ext else base


def _go_ext(p: str) -> str:
    i = p.rfind(".")
    return p[i:] if i >= 0 and "/" not in p[i:] else ""


def _orig(req: Any) -> tuple[str, str]:
    _, path, query = split_target(req.raw.raw_path)
    return unquote(path), query


def request_replacer(req: Any) -> Replacer:
    """A request's Replacer: its own values, then `{http.*}` computed lazily from `req`.

    The provider holds the request weakly: the request holds its Replacer, and a cycle would
    leave every request that read a placeholder to the cyclic collector."""
    repl = Replacer()
    ref = weakref.ref(req)

    def provider(key: str) -> tuple[Any, bool]:
        r = ref()
        return (None, False) if r is None else http_value(r, key)

    repl.providers.append(provider)
    return repl


def http_value(req: Any, key: str) -> tuple[Any, bool]:
    if not key.startswith("http."):
        return None, False
    if key.startswith("http.request."):
        k = key[13:]
        if k.startswith("uri.query."):
            return ",".join(parse_qs(req.raw_query, keep_blank_values=True).get(k[10:], [])), True
        if k.startswith("header."):
            return ",".join(req.headers.getall(k[7:], [])), True
        if k.startswith("cookie."):
            name = k[7:].lower()
            for hv in req.headers.getall("Cookie", []):
                c: SimpleCookie = SimpleCookie()
                try:
                    c.load(hv)
                except Exception:  # noqa: BLE001 - malformed cookies are just absent
                    continue
                for n, morsel in c.items():
                    if n.lower() == name:
                        return morsel.value, True
            return None, False
        if k.startswith("tls."):
            from caddy_py.tls.placeholders import tls_value

            return tls_value(req.raw.transport, k[4:])
        v = _REQUEST.get(k)
        if v is not None:
            return v(req), True
        if k.startswith("uri.path."):
            return _path_part(req.decoded_path, k[9:])
        if k.startswith("orig_uri.path."):
            return _path_part(_orig(req)[0], k[14:])
        if k.startswith("host.labels."):
            try:
                idx = int(k[12:])
            except ValueError:
                return "", False
            if idx < 0:
                return "", False
            labels = request_host(req.host).split(".")
            return (labels[len(labels) - idx - 1].lower() if idx < len(labels) else ""), True
        if k.startswith("remote.host/"):
            return _remote_prefix(req, k[12:]), True
        return None, False
    if key.startswith("http.vars."):
        return req.vars.get(key[10:]), True
    if key.startswith("http.response.header."):
        resp = req.response
        return (",".join(resp.headers.getall(key[21:], [])) if resp is not None else ""), True
    if key.startswith("http.error"):
        err = req.error
        if err is None:
            return None, False
        sub = key[10:]
        if sub == "":
            return str(err), True
        d = err.details()
        if sub.startswith(".") and sub[1:] in d:
            return d[sub[1:]], True
        if sub == ".status_text":
            from http import HTTPStatus
            try:
                return HTTPStatus(err.status).phrase, True
            except ValueError:
                return "", True
        return None, False
    if key == "http.shutting_down":
        return bool(getattr(req.server, "shutting_down", False)), True
    return None, False


def _remote_prefix(req: Any, bits_s: str) -> str:
    host = _split_hostport(req.remote_addr)[0]
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        return host
    v4, sep, v6 = bits_s.partition(",")
    try:
        bits = int(v6 if addr.version == 6 and sep else v4)
        return str(ipaddress.ip_network(f"{addr}/{bits}", strict=False))
    except ValueError:
        return ""


def _body(req: Any) -> str:
    body = req.state.get("__body__")
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else ""


_REQUEST: dict[str, Any] = {
    "method": lambda r: r.method,
    "scheme": lambda r: r.scheme,
    "proto": lambda r: "HTTP/%d.%d" % r.raw.version,
    "proto_name": lambda r: "HTTP/%d.%d" % r.raw.version,
    "host": lambda r: _split_hostport(r.host)[0],
    "port": lambda r: _port(_split_hostport(r.host)[1]),
    "hostport": lambda r: r.host,
    "local": lambda r: r.state.get("__local__", ""),
    "local.host": lambda r: _split_hostport(r.state.get("__local__", ""))[0],
    "local.port": lambda r: _port(_split_hostport(r.state.get("__local__", ""))[1]),
    "remote": lambda r: r.remote_addr,
    "remote.host": lambda r: _split_hostport(r.remote_addr)[0],
    "remote.port": lambda r: _port(_split_hostport(r.remote_addr)[1]),
    "uri": lambda r: r.uri,
    "uri_escaped": lambda r: quote_plus(r.uri, safe=""),
    "uri.path": lambda r: r.decoded_path,
    "uri.path_escaped": lambda r: quote_plus(r.decoded_path, safe=""),
    "uri.path.file": lambda r: r.decoded_path.rsplit("/", 1)[-1],
    "uri.path.dir": lambda r: r.decoded_path[: r.decoded_path.rfind("/") + 1],
    "uri.path.file.base": lambda r: _file_base(r.decoded_path),
    "uri.path.file.ext": lambda r: _go_ext(r.decoded_path),
    "uri.query": lambda r: r.raw_query,
    "uri.query_escaped": lambda r: quote_plus(r.raw_query, safe=""),
    "uri.prefixed_query": lambda r: ("?" + r.raw_query) if r.raw_query else "",
    "duration": lambda r: f"{time.perf_counter() - r.start_time:.6f}s",
    "duration_ms": lambda r: (time.perf_counter() - r.start_time) * 1e3,
    "uuid": lambda r: r.state.setdefault("__uuid__", str(uuid.uuid4())),
    "body": _body,
    "body_base64": lambda r: base64.b64encode(r.state.get("__body__") or b"").decode(),
    "orig_method": lambda r: r.raw.method,
    "orig_uri": lambda r: r.raw.raw_path,
    "orig_uri.path": lambda r: _orig(r)[0],
    "orig_uri.path.file": lambda r: _orig(r)[0].rsplit("/", 1)[-1],
    "orig_uri.path.dir": lambda r: _orig(r)[0][: _orig(r)[0].rfind("/") + 1],
    "orig_uri.query": lambda r: _orig(r)[1],
    "orig_uri.prefixed_query": lambda r: ("?" + _orig(r)[1]) if _orig(r)[1] else "",
}
