"""Matchers on request fields: method, header, header_regexp, query, protocol."""
from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.matchers.path import RegexpMatcher


@register("http.matchers.method")
class MatchMethod:
    __slots__ = ("methods",)

    def __init__(self, methods: list[str]) -> None:
        self.methods = frozenset(methods)

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchMethod":
        return cls(list(cfg or []))

    def match(self, req: Any) -> bool:
        return req.method in self.methods


def header_values(req: Any, field: str) -> list[str] | None:
    """A request header's values, None when absent (`Host` comes from the request host)."""
    if field.lower() == "host":
        return [req.host] if req.host else None
    vals = req.headers.getall(field, None)
    return vals if vals else None


def value_matches(actual: str, allowed: str) -> bool:
    """Caddy's header value pattern: `*`, `*mid*`, `*suffix`, `prefix*` or exact."""
    if allowed == "*":
        return True
    if len(allowed) > 1 and allowed[0] == "*" and allowed[-1] == "*":
        return allowed[1:-1] in actual
    if allowed.startswith("*"):
        return actual.endswith(allowed[1:])
    if allowed.endswith("*"):
        return actual.startswith(allowed[:-1])
    return actual == allowed


def match_headers(req: Any, against: dict[str, list[str] | None]) -> bool:
    repl = req.replacer
    for field, allowed in against.items():
        actual = header_values(req, field)
        if allowed is not None and len(allowed) == 0 and actual is not None:
            continue
        if allowed is None and actual is None:
            continue
        if not any(value_matches(a, repl.replace_all(v, "") if "{" in v else v)
                   for a in actual or () for v in allowed or ()):
            return False
    return True


@register("http.matchers.header")
class MatchHeader:
    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, list[str] | None]) -> None:
        self.fields = fields

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchHeader":
        if not isinstance(cfg, dict):
            raise ConfigError("header matcher: expected an object")
        return cls(cfg)

    def match(self, req: Any) -> bool:
        return match_headers(req, self.fields)


@register("http.matchers.header_regexp")
class MatchHeaderRE:
    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, RegexpMatcher]) -> None:
        self.fields = fields

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchHeaderRE":
        if not isinstance(cfg, dict):
            raise ConfigError("header_regexp matcher: expected an object")
        return cls({f: RegexpMatcher(v or {}) for f, v in cfg.items()})

    def match(self, req: Any) -> bool:
        for field, rm in self.fields.items():
            vals = header_values(req, field) or []
            if not rm.match_string(",".join(vals), req.replacer):
                return False
        return True


@register("http.matchers.query")
class MatchQuery:
    __slots__ = ("params",)

    def __init__(self, params: dict[str, list[str]]) -> None:
        self.params = params

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchQuery":
        if not isinstance(cfg, dict):
            raise ConfigError("query matcher: expected an object")
        return cls({k: list(v or []) for k, v in cfg.items()})

    def match(self, req: Any) -> bool:
        parsed = parse_qs(req.raw_query, keep_blank_values=True)
        if not self.params:
            return not parsed
        repl = req.replacer
        for param, vals in self.params.items():
            param = repl.replace_all(param, "")
            got = parsed.get(param)
            if got is None:
                return False
            if not any(v == "*" or v in got for v in (repl.replace_all(x, "") for x in vals)):
                return False
        return True


@register("http.matchers.protocol")
class MatchProtocol:
    __slots__ = ("proto",)

    def __init__(self, proto: str) -> None:
        self.proto = proto

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchProtocol":
        return cls(str(cfg or ""))

    def match(self, req: Any) -> bool:
        p = self.proto
        major, minor = req.raw.version
        if p == "grpc":
            return req.headers.get("Content-Type", "").startswith("application/grpc")
        if p == "https":
            return req.scheme == "https"
        if p == "http":
            return req.scheme != "https"
        if p.startswith("http/"):
            want = p[5:]
            plus = want.endswith("+")
            want = want.rstrip("+")
            wmaj, _, wmin = want.partition(".")
            target = (int(wmaj), int(wmin or 0))
            return (major, minor) >= target if plus else (
                (major, minor) == target if wmin else major == target[0])
        return False
