"""Caddy's header operations (headers.HeaderOps / RespHeaderOps), shared by reverse_proxy's
`headers.request` / `headers.response` and usable by the `headers` handler.

Order (as Caddy): delete "*" first, then add, set, delete (with `*` prefix/suffix wildcards),
replace (plain substring or `search_regexp` with Go-style `$1`/`${name}` references).
Values go through `replacer.replace_known`, so unknown placeholders stay literal.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from multidict import CIMultiDict

_GO_REF = re.compile(r"\$(\$|\{(\w+)\}|(\w+))")


def go_template_to_python(tpl: str) -> str:
    """Turn a Go regexp replacement template (`$1`, `${name}`, `$$`) into Python's syntax."""
    tpl = tpl.replace("\\", "\\\\")

    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "$":
            return "$"
        return "\\g<" + (m.group(2) or m.group(3)) + ">"

    return _GO_REF.sub(sub, tpl)


def _has_placeholder(s: str) -> bool:
    return "{" in s and "}" in s


@dataclass
class Replacement:
    search: str = ""
    search_regexp: str = ""
    replace: str = ""
    compiled: re.Pattern[str] | None = None

    @classmethod
    def from_json(cls, cfg: dict[str, Any]) -> "Replacement":
        r = cls(str(cfg.get("search", "")), str(cfg.get("search_regexp", "")), str(cfg.get("replace", "")))
        if r.search_regexp and not _has_placeholder(r.search_regexp):
            r.compiled = re.compile(r.search_regexp)
        return r

    def apply(self, value: str, expand: Callable[[str], str]) -> str:
        replace = expand(self.replace)
        if self.compiled is not None or self.search_regexp:
            pattern = self.compiled
            if pattern is None:
                try:
                    pattern = re.compile(expand(self.search_regexp))
                except re.error:
                    return value
            return pattern.sub(go_template_to_python(replace), value)
        return value.replace(expand(self.search), replace)


@dataclass
class HeaderOps:
    add: dict[str, list[str]] = field(default_factory=dict)
    set: dict[str, list[str]] = field(default_factory=dict)
    delete: list[str] = field(default_factory=list)
    replace: dict[str, list[Replacement]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "HeaderOps | None":
        if not cfg:
            return None
        return cls(
            add={k: list(v) for k, v in (cfg.get("add") or {}).items()},
            set={k: list(v) for k, v in (cfg.get("set") or {}).items()},
            delete=list(cfg.get("delete") or []),
            replace={k: [Replacement.from_json(r) for r in v] for k, v in (cfg.get("replace") or {}).items()},
        )

    def apply(self, hdr: CIMultiDict[str], replacer: Any) -> None:
        def expand(s: str) -> str:
            return replacer.replace_known(s, "") if replacer is not None else s

        deletes = [expand(f) for f in self.delete]
        if "*" in deletes:
            hdr.clear()
        for name, vals in self.add.items():
            for v in vals:
                hdr.add(expand(name), expand(v))
        for name, vals in self.set.items():
            hdr[expand(name)] = ",".join(expand(v) for v in vals)
        for name in deletes:
            _delete(hdr, name.lower())
        for name, reps in self.replace.items():
            target = expand(name).lower()
            for rep in reps:
                items = list(hdr.items())
                hdr.clear()
                for k, v in items:
                    hdr.add(k, rep.apply(v, expand) if target in ("*", k.lower()) else v)


def _delete(hdr: CIMultiDict[str], pattern: str) -> None:
    if pattern == "*":
        return
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
        test: Callable[[str], bool] = lambda k: pattern[1:-1] in k  # noqa: E731
    elif pattern.startswith("*"):
        test = lambda k: k.endswith(pattern[1:])  # noqa: E731
    elif pattern.endswith("*"):
        test = lambda k: k.startswith(pattern[:-1])  # noqa: E731
    else:
        hdr.popall(pattern, None)
        return
    for k in {k for k in hdr if test(k.lower())}:
        hdr.popall(k, None)


@dataclass
class ResponseMatcher:
    """Caddy's caddyhttp.ResponseMatcher: status codes (2 = any 2xx) and header values."""

    status_code: list[int] = field(default_factory=list)
    headers: dict[str, list[str] | None] = field(default_factory=dict)

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "ResponseMatcher | None":
        if cfg is None:
            return None
        return cls([int(c) for c in cfg.get("status_code") or []], dict(cfg.get("headers") or {}))

    def match(self, status: int, hdr: CIMultiDict[str]) -> bool:
        if self.status_code and not any(status_matches(status, c) for c in self.status_code):
            return False
        for name, wanted in self.headers.items():
            have = hdr.getall(name, [])
            if wanted is None:
                if have:
                    return False
                continue
            if not have:
                return False
            if wanted and not any(_header_value_matches(h, w) for h in have for w in wanted):
                return False
        return True


def _header_value_matches(have: str, want: str) -> bool:
    if want == "*":
        return True
    if want.startswith("*") and want.endswith("*") and len(want) > 1:
        return want[1:-1] in have
    if want.startswith("*"):
        return have.endswith(want[1:])
    if want.endswith("*"):
        return have.startswith(want[:-1])
    return have == want


def status_matches(status: int, code: int) -> bool:
    """`5` matches any 5xx; otherwise an exact status."""
    if 0 < code < 10:
        return status // 100 == code
    return status == code


@dataclass
class RespHeaderOps:
    ops: HeaderOps | None
    require: ResponseMatcher | None = None
    deferred: bool = False

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "RespHeaderOps | None":
        if not cfg:
            return None
        return cls(HeaderOps.from_json(cfg), ResponseMatcher.from_json(cfg.get("require")),
                   bool(cfg.get("deferred")))
