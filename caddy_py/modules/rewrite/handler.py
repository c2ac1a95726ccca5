"""`http.handlers.rewrite`: changes the request's method, path and query in place (Caddy's
rewrite.Rewrite), in Caddy's order: method, uri, strip_path_prefix, strip_path_suffix,
uri_substring, path_regexp, query.

The path is kept the way Go's url.URL keeps it, as a decoded Path plus an optional RawPath, so
that escapes in the request survive the same way they do in Caddy; `req.path` (escaped) is
rebuilt from them at the end.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.logging import enabled as log_enabled
from caddy_py.logging import log
from caddy_py.replacer import Replacer, to_string

from . import gourl
from .goregexp import compile_go, replace_all

LOGGER = "http.handlers.rewrite"


class _URL:
    """Go's url.URL path state: decoded `path`, optional escaped `raw_path`, and `raw_query`."""

    __slots__ = ("path", "raw_path", "raw_query")

    def __init__(self, escaped: str, raw_query: str) -> None:
        try:
            self.path = gourl.unescape(escaped)
        except ValueError:
            self.path = escaped
        self.raw_path = "" if gourl.escape_path(self.path) == escaped else escaped
        self.raw_query = raw_query

    def escaped(self) -> str:
        return gourl.escaped_path(self.path, self.raw_path)

    def change_path(self, new_val: Callable[[str], str]) -> None:
        """rewrite.changePath: transform the escaped form, derive the decoded form from it."""
        self.raw_path = new_val(self.escaped())
        try:
            decoded = gourl.unescape(self.raw_path)
        except ValueError:
            decoded = ""
        self.path = decoded if decoded else new_val(self.path)
        if self.raw_path == gourl.escape_path(self.path):
            self.raw_path = ""


    def ensure_leading_slash(self) -> None:
        """What caddy 2.11.7 does after stripping a prefix (observed: `/stripabc` -> `/abc`)."""
        if not self.path.startswith("/"):
            self.path = "/" + self.path
        if self.raw_path and not self.raw_path.startswith("/"):
            self.raw_path = "/" + self.raw_path


def trim_path_prefix(escaped: str, prefix: str) -> str:
    """Case-insensitive prefix trim that compares escaped path bytes decoded (`%2F` vs `/`)."""
    i = j = 0
    while i < len(escaped) and j < len(prefix):
        pc = prefix[j]
        ch = escaped[i]
        if ch == "%" and pc != "%" and len(escaped) >= i + 3:
            try:
                ch = gourl.unescape(escaped[i:i + 3])
            except ValueError:
                return escaped
            i += 2
        if ch.lower() != pc.lower():
            return escaped
        i += 1
        j += 1
    return escaped[i:] if j >= len(prefix) else escaped


def _placeholder_spans(s: str) -> list[tuple[int, int, str]]:
    """(start, end, key) of each `{key}`, scanning as Caddy's replacer does (no nesting)."""
    out = []
    i = 0
    while True:
        start = s.find("{", i)
        if start < 0:
            return out
        end = s.find("}", start)
        if end < 0:
            return out
        if start > 0 and s[start - 1] == "\\":
            i = start + 1
            continue
        out.append((start, end + 1, s[start + 1:end]))
        i = end + 1


def build_query_string(qs: str, repl: Replacer) -> str:
    """rewrite.buildQueryString: placeholders become query-escaped, except an already-escaped
    `{http.request.uri.query}` in a key position."""
    out: list[str] = []
    wrote_val = True
    while qs:
        eq, amp = qs.find("="), qs.find("&")
        amp_next = amp >= 0 and (amp < eq or eq < 0)
        end = len(qs)
        if amp_next:
            end = amp
        elif eq >= 0 and (eq < amp or amp < 0):
            end = eq
        comp = _replace_escaped(qs[:end], repl, wrote_val)
        if end < len(qs):
            end += 1
        qs = qs[end:]
        if wrote_val:
            if out and comp:
                out.append("&")
        else:
            out.append("=")
        out.append(comp)
        wrote_val = amp_next
    return "".join(out)


def _replace_escaped(comp: str, repl: Replacer, key_position: bool) -> str:
    spans = _placeholder_spans(comp)
    if not spans:
        return comp
    parts = []
    last = 0
    for start, end, key in spans:
        parts.append(comp[last:start])
        val, found = repl.get(key)
        if found and key == "http.request.uri.query" and key_position:
            parts.append(to_string(val))
        else:
            parts.append(gourl.query_escape(to_string(val) if found else "<nil>"))
        last = end
    parts.append(comp[last:])
    return "".join(parts)


class _QueryOps:
    def __init__(self, cfg: dict[str, Any]) -> None:
        def pairs(name: str) -> list[tuple[str, str]]:
            return [(str(p.get("key", "")), str(p.get("val", ""))) for p in cfg.get(name) or []]

        self.rename = pairs("rename")
        self.set = pairs("set")
        self.add = pairs("add")
        self.delete = [str(x) for x in cfg.get("delete") or []]
        self.replace = []
        for r in cfg.get("replace") or []:
            regexp = str(r.get("search_regexp", ""))
            compiled = None
            if regexp:
                try:
                    compiled = compile_go(regexp)
                except Exception as e:  # noqa: BLE001 - reported as config error
                    raise ValueError(f"compiling regular expression {regexp} in query rewrite replace operation: "
                                     f"replacement for query field '{r.get('key', '')}': {e}") from None
            self.replace.append((str(r.get("key", "")), str(r.get("search", "")), str(r.get("replace", "")), compiled))

    def apply(self, url: _URL, repl: Replacer) -> None:
        query = gourl.parse_query(url.raw_query)
        for key, val in self.rename:
            key, val = repl.replace_all(key), repl.replace_all(val)
            if key and val and key != val and key in query:
                query[val] = query.pop(key)
        for key, val in self.set:
            key = repl.replace_all(key)
            if key:
                query[key] = [repl.replace_all(val)]
        for key, val in self.add:
            key = repl.replace_all(key)
            if key:
                query.setdefault(key, []).append(repl.replace_all(val))
        for key, search, replace, compiled in self.replace:
            key = repl.replace_all(key)
            search, replace = repl.replace_known(search), repl.replace_known(replace)
            targets = list(query) if key == "*" else [key] if key in query else []
            for k in targets:
                query[k] = [replace_all(compiled, v, replace) if compiled is not None else v.replace(search, replace)
                            for v in query[k]]
        for name in self.delete:
            name = repl.replace_all(name)
            if name:
                query.pop(name, None)
        url.raw_query = gourl.encode_query(query)


def _go_replace(s: str, old: str, new: str, limit: int) -> str:
    """strings.Replace (limit < 0: all)."""
    return s.replace(old, new) if limit < 0 else s.replace(old, new, limit)


@register("http.handlers.rewrite")
class Rewrite:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.method = str(cfg.get("method", ""))
        self.uri = str(cfg.get("uri", ""))
        self.strip_prefix = str(cfg.get("strip_path_prefix", ""))
        self.strip_suffix = str(cfg.get("strip_path_suffix", ""))
        self.substrings = [(str(r.get("find", "")), str(r.get("replace", "")), int(r.get("limit", 0) or 0))
                           for r in cfg.get("uri_substring") or []]
        self.regexps = []
        for i, r in enumerate(cfg.get("path_regexp") or []):
            find = str(r.get("find", ""))
            if not find:
                raise ValueError("path_regexp find cannot be empty")
            try:
                self.regexps.append((compile_go(find), str(r.get("replace", ""))))
            except Exception as e:  # noqa: BLE001 - reported as config error
                raise ValueError(f"compiling regular expression {i}: {e}") from None
        self.query = _QueryOps(cfg["query"]) if cfg.get("query") is not None else None

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Rewrite":
        return cls(cfg or {})

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        old = (req.method, req.path, req.raw_query)
        self.rewrite(req)
        if log_enabled(LOGGER, logging.DEBUG) and (req.method, req.path, req.raw_query) != old:
            uri = req.path + ("?" + req.raw_query if req.raw_query else "")
            log(LOGGER, logging.DEBUG, "rewrote request", method=req.method, uri=uri)
        return await next(req)

    def rewrite(self, req: Request) -> None:
        repl = req.replacer
        if self.method:
            req.method = repl.replace_all(self.method).upper()
        url = _URL(req.path, req.raw_query)
        if self.uri:
            self._rewrite_uri(url, req, repl)
        if self.strip_prefix:
            prefix = repl.replace_all(self.strip_prefix)
            if not prefix.startswith("/"):
                prefix = "/" + prefix
            merge = "//" not in prefix
            url.change_path(lambda p: trim_path_prefix(gourl.clean_path(p, merge), prefix))
            url.ensure_leading_slash()
        if self.strip_suffix:
            suffix = repl.replace_all(self.strip_suffix)
            merge = "//" not in suffix
            url.change_path(lambda p: trim_path_prefix(gourl.clean_path(p, merge)[::-1], suffix[::-1])[::-1])
        for find, replace, limit in self.substrings:
            if not find:
                continue
            lim = limit if limit else -1
            f, r = repl.replace_all(find), repl.replace_all(replace)
            merge = "//" not in find
            url.change_path(lambda p: _go_replace(gourl.clean_path(p, merge), f, r, lim))
            url.raw_query = _go_replace(url.raw_query, f, r, lim)
        for pattern, replace in self.regexps:
            rep = repl.replace_all(replace)
            url.change_path(lambda p: replace_all(pattern, p, rep))
        if self.query is not None:
            self.query.apply(url, repl)
        req.path = url.escaped() or "/"
        req.raw_query = url.raw_query

    def _rewrite_uri(self, url: _URL, req: Request, repl: Replacer) -> None:
        uri = self.uri
        path_start = qs_start = frag_start = path_end = qs_end = -1
        for i, ch in enumerate(uri):
            if ch == "?" and qs_start < 0:
                path_end, qs_start = i, i + 1
            elif ch == "#" and frag_start < 0:
                if qs_start < 0:
                    path_end = i
                else:
                    qs_end = i
                frag_start = i + 1
                break
            elif path_start < 0 and qs_start < 0:
                path_start = i
        if path_start >= 0 and path_end < 0:
            path_end = len(uri)
        if qs_start >= 0 and qs_end < 0:
            qs_end = len(uri)
        path = uri[path_start:path_end] if path_start > -1 else ""
        query = uri[qs_start:qs_end] if qs_start > -1 else ""
        new_path = new_query = ""
        if path:
            path = path.replace("{http.request.uri.path}", url.escaped())
            if "{http.matchers.file.relative}" in path:
                rel, ok = repl.get("http.matchers.file.relative")
                if ok and isinstance(rel, str):
                    path = path.replace("{http.matchers.file.relative}",
                                        gourl.quote_segment(rel).replace("%2F", "/"))
            new_path = repl.replace_all(path)
        if "?" in new_path:
            new_path, injected = new_path.split("?", 1)
            if not query:
                query = injected.replace("{", "%7B").replace("}", "%7D")
        if query:
            new_query = build_query_string(query, repl)
        if path_start >= 0:
            try:
                url.path = gourl.unescape(new_path)
            except ValueError:
                url.path = new_path
            url.raw_path = ""
        if qs_start >= 0:
            url.raw_query = new_query
