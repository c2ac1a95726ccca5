"""Caddy's wrapping encoders: `filter` (per-field filters addressed as `request>headers>Cookie`)
and `append` (extra fields, a lone `{placeholder}` evaluated with the global replacer).

Filters follow Caddy's: `delete`, `replace`, `hash` (first 4 bytes of SHA-256, hex), `ip_mask`,
`query`, `cookie`, `set_cookie`, `regexp`, `multi_regexp`, `rename`. String filters act on a
string or on each string of a header-value list and leave other types alone, as in Caddy.
"""
from __future__ import annotations

import hashlib
import ipaddress
from http.cookies import SimpleCookie
from typing import Any, Callable

from caddy_py.modules.rewrite import gourl
from caddy_py.modules.rewrite.goregexp import compile_go, replace_all
from caddy_py.replacer import Replacer

_DELETE = object()


def _hash(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def _on_strings(fn: Callable[[str], str]) -> Callable[[Any], Any]:
    def apply(v: Any) -> Any:
        if isinstance(v, list) and all(isinstance(x, str) for x in v):
            return [fn(x) for x in v]
        if isinstance(v, str):
            return fn(v)
        return v
    return apply


def _mask_ip(v4: int, v6: int) -> Callable[[str], str]:
    def mask(s: str) -> str:
        parts = []
        for value in s.split(","):
            value = value.strip()
            host, port = value, ""
            if value.startswith("[") and "]:" in value:
                host, port = value[1:].split("]:", 1)
            elif value.count(":") == 1:
                host, port = value.split(":", 1)
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                parts.append(value)
                continue
            bits = v4 if ip.version == 4 else v6
            if bits:
                net = ipaddress.ip_network(f"{ip}/{bits}", strict=False)
                masked = str(net.network_address)
            else:  # Go: a nil mask gives a nil IP, printed "<nil>"
                masked = "<nil>"
            parts.append(masked if not port else (f"[{masked}]:{port}" if ":" in masked else f"{masked}:{port}"))
        return ", ".join(parts)
    return mask


def _query(actions: list[dict[str, Any]]) -> Callable[[str], str]:
    def process(s: str) -> str:
        path, sep, raw_query = s.partition("?")
        query = gourl.parse_query(raw_query)
        for a in actions:
            name, kind = str(a.get("parameter", "")), a.get("type")
            if kind == "replace" and name in query:
                query[name] = [str(a.get("value", ""))] * len(query[name])
            elif kind == "hash" and name in query:
                query[name] = [_hash(v) for v in query[name]]
            elif kind == "delete":
                query.pop(name, None)
        encoded = gourl.encode_query(query)
        return path + ("?" + encoded if encoded else "")
    return process


def _cookie(actions: list[dict[str, Any]]) -> Callable[[Any], Any]:
    def process(v: Any) -> Any:
        if not isinstance(v, list):
            return v
        out = []
        for header in v:
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(header)
            except Exception:  # noqa: BLE001 - unparsable cookies are dropped, as Go's parser does
                continue
            for name, morsel in jar.items():
                value = morsel.value
                act = next((a for a in actions if a.get("name") == name), None)
                if act is not None:
                    if act.get("type") == "delete":
                        continue
                    value = str(act.get("value", "")) if act.get("type") == "replace" else _hash(value)
                out.append(f"{name}={value}")
        return ["; ".join(out)] if out else []
    return process


def _set_cookie(actions: list[dict[str, Any]]) -> Callable[[Any], Any]:
    def line(s: str) -> str | None:
        head, semi, rest = s.partition(";")
        name, eq, raw = head.partition("=")
        if not eq:
            return s
        act = next((a for a in actions if a.get("name") == name.strip()), None)
        if act is None:
            return s
        if act.get("type") == "delete":
            return None
        value = raw.strip()
        quoted = len(value) >= 2 and value[0] == value[-1] == '"'
        new = str(act.get("value", "")) if act.get("type") == "replace" else _hash(value.strip('"'))
        if quoted:
            new = '"' + new + '"'
        lead = raw[:len(raw) - len(raw.lstrip())]
        trail = raw[len(raw.rstrip()):]
        return name + "=" + lead + new + trail + semi + rest

    def process(v: Any) -> Any:
        if not isinstance(v, list):
            return v
        return [x for x in (line(s) for s in v) if x is not None]
    return process


def build_filter(cfg: dict[str, Any]) -> Callable[[Any], Any] | tuple[str, str]:
    """A value transformer, `_DELETE`-returning for delete, or ("rename", new_name)."""
    kind = cfg.get("filter")
    if kind == "delete":
        return lambda v: _DELETE
    if kind == "replace":
        value = str(cfg.get("value", ""))
        return lambda v: value
    if kind == "hash":
        return _on_strings(_hash)
    if kind == "ip_mask":
        return _on_strings(_mask_ip(int(cfg.get("ipv4_cidr") or 0), int(cfg.get("ipv6_cidr") or 0)))
    if kind == "query":
        return _on_strings(_query(list(cfg.get("actions") or [])))
    if kind == "cookie":
        return _cookie(list(cfg.get("actions") or []))
    if kind == "set_cookie":
        return _set_cookie(list(cfg.get("actions") or []))
    if kind in ("regexp", "multi_regexp"):
        ops = [cfg] if kind == "regexp" else list(cfg.get("operations") or [])
        if kind == "multi_regexp" and not ops:
            raise ValueError("multi_regexp filter requires at least one operation")
        compiled = [(compile_go(str(o.get("regexp", ""))), str(o.get("value", ""))) for o in ops]

        def regexps(s: str) -> str:
            for pattern, value in compiled:
                s = replace_all(pattern, s, value)
            return s
        return _on_strings(regexps)
    if kind == "rename":
        return ("rename", str(cfg.get("name", "")))
    raise ValueError(f"loading log filter modules: module not registered: caddy.logging.encoders.filter.{kind}")


class FilterEncoder:
    def __init__(self, cfg: dict[str, Any], wrapped: Any) -> None:
        self.wrapped = wrapped
        self.filters = {path: build_filter(f or {}) for path, f in (cfg.get("fields") or {}).items()}

    def _apply(self, fields: dict[str, Any], prefix: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in fields.items():
            path = prefix + key
            f = self.filters.get(path)
            if f is None:
                out[key] = self._apply(value, path + ">") if isinstance(value, dict) else value
            elif isinstance(f, tuple):
                out[f[1]] = value
            else:
                new = f(value)
                if new is not _DELETE:
                    out[key] = new
        return out

    def encode(self, level: str, ts: float, name: str, msg: str, fields: dict[str, Any]) -> str:
        return self.wrapped.encode(level, ts, name, msg, self._apply(fields, ""))


class AppendEncoder:
    def __init__(self, cfg: dict[str, Any], wrapped: Any) -> None:
        self.wrapped = wrapped
        self.extra: dict[str, Any] = dict(cfg.get("fields") or {})
        self.repl = Replacer()

    def encode(self, level: str, ts: float, name: str, msg: str, fields: dict[str, Any]) -> str:
        out = dict(fields)
        for key, value in self.extra.items():
            if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value.count("{") == 1:
                value, _ = self.repl.get(value.strip("{}"))
            out[key] = value
        return self.wrapped.encode(level, ts, name, msg, out)
