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

    def __post_init__(self) -> None:
        # (name, None: must be absent | []: must be present | a test of the values)
        self._tests = [(name, wanted if not wanted else ValueTest(wanted))
                       for name, wanted in self.headers.items()]

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "ResponseMatcher | None":
        if cfg is None:
            return None
        return cls([int(c) for c in cfg.get("status_code") or []], dict(cfg.get("headers") or {}))

    def match(self, status: int, hdr: CIMultiDict[str]) -> bool:
        if self.status_code and not any(status_matches(status, c) for c in self.status_code):
            return False
        for name, test in self._tests:
            have = hdr.getall(name, ())
            if test is None:
                if have:
                    return False
                continue
            if not have:
                return False
            if test and not any(map(test, have)):
                return False
        return True


class ValueTest:
    """Whether a header value matches any of a list of Caddy's patterns (`*` any, `*x*`
    contains, `*x` suffix, `x*` prefix, else exact), sorted once into C-level checks: encode's
    default list of ~35 compressible types is tested on every response."""

    __slots__ = ("any", "exact", "prefixes", "suffixes", "contains")

    def __init__(self, wanted: list[str]) -> None:
        self.any = "*" in wanted
        self.exact = frozenset(w for w in wanted if not w.startswith("*") and not w.endswith("*"))
        self.contains = tuple(w[1:-1] for w in wanted if len(w) > 1 and w.startswith("*") and w.endswith("*"))
        self.suffixes = tuple(w[1:] for w in wanted if w.startswith("*") and not w.endswith("*"))
        self.prefixes = tuple(w[:-1] for w in wanted if w.endswith("*") and not w.startswith("*"))

    def __call__(self, have: str) -> bool:
        return (self.any or have in self.exact or have.startswith(self.prefixes)
                or have.endswith(self.suffixes) or any(c in have for c in self.contains))


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
