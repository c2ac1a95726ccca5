"""http.matchers.path and http.matchers.path_regexp.

Path patterns follow Caddy: case-insensitive, compared with the cleaned, *decoded* path unless
the pattern itself contains `%` (then with the escaped path); `*` alone matches everything;
`/pre*`, `*suf` and `*mid*` are prefix/suffix/substring tests; anything else is Go's path.Match
glob (`*` does not cross `/`). `//` in a pattern keeps the request's repeated slashes.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register


def go_clean(p: str) -> str:
    """Go's path.Clean: lexical cleanup of `.`, `..` and repeated slashes."""
    if not p:
        return "."
    rooted = p.startswith("/")
    out: list[str] = []
    for part in p.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    s = "/".join(out)
    if rooted:
        return "/" + s
    return s or "."


def clean_path(p: str, merge_slashes: bool) -> str:
    """Caddy's CleanPath: path.Clean keeping a trailing slash, optionally keeping `//`."""
    if not p:
        return p
    if merge_slashes:
        cleaned = go_clean(p)
    else:
        # protect runs of slashes from being merged
        placeholder = "\x00"
        tmp = p.replace("//", "/" + placeholder + "/")
        cleaned = go_clean(tmp).replace("/" + placeholder + "/", "//").replace(placeholder, "")
    if cleaned != "/" and p.endswith("/") and not cleaned.endswith("/"):
        cleaned += "/"
    return cleaned


def fast_clean(p: str, merge_slashes: bool) -> str:
    """clean_path, skipping the work for the common already-clean path."""
    if "/." not in p and "//" not in p:
        return p
    return clean_path(p, merge_slashes)


@lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> "re.Pattern[str] | None":
    """Go's path.Match as a regex; None for a malformed pattern (which never matches)."""
    out = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= n:
                return None
            out.append(re.escape(pattern[i]))
        elif c == "[":
            j = i + 1
            neg = j < n and pattern[j] == "^"
            if neg:
                j += 1
            body = []
            while j < n and pattern[j] != "]":
                if pattern[j] == "\\" and j + 1 < n:
                    j += 1
                    body.append(re.escape(pattern[j]))
                elif pattern[j] == "-":
                    body.append("-")
                else:
                    body.append(re.escape(pattern[j]))
                j += 1
            if j >= n or not body:
                return None
            out.append("[" + ("^/" if neg else "") + "".join(body) + "]")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    try:
        return re.compile("".join(out) + r"\Z", re.S)
    except re.error:
        return None


def _compile(pattern: str) -> Callable[[str, str], bool]:
    """A test of (decoded lower-case path, escaped path) for one static pattern."""
    merge = "//" not in pattern
    if pattern == "*":
        return lambda d, e: True
    if "%" in pattern:
        pat = pattern.lower()
        rx = glob_regex(pat)
        return lambda d, e: bool(rx and rx.match(clean_path(e.lower(), merge)))
    stars = pattern.count("*")
    if stars == 2 and pattern.startswith("*") and pattern.endswith("*") and len(pattern) >= 2:
        mid = pattern[1:-1]
        return lambda d, e: mid in fast_clean(d, merge)
    if stars == 1 and pattern.startswith("*"):
        suf = pattern[1:]
        return lambda d, e: fast_clean(d, merge).endswith(suf)
    if stars == 1 and pattern.endswith("*"):
        pre = pattern[:-1]
        return lambda d, e: fast_clean(d, merge).startswith(pre)
    if not any(ch in pattern for ch in "*?[\\"):
        return lambda d, e: fast_clean(d, merge) == pattern
    rx = glob_regex(pattern)
    return lambda d, e: bool(rx and rx.match(fast_clean(d, merge)))


@register("http.matchers.path")
class MatchPath:
    __slots__ = ("tests", "dynamic")

    def __init__(self, patterns: list[str]) -> None:
        pats = [p.lower() for p in patterns]
        if "*" in pats:
            pats = ["*"]
        self.dynamic = [p for p in pats if "{" in p]
        self.tests = [_compile(p) for p in pats if "{" not in p]

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchPath":
        if not isinstance(cfg, list):
            raise ConfigError("path matcher: expected a list of paths")
        return cls(cfg)

    def match(self, req: Any) -> bool:
        d = req.decoded_path.lower()
        e = req.path
        for t in self.tests:
            if t(d, e):
                return True
        for p in self.dynamic:
            if _compile(req.replacer.replace_all(p, ""))(d, e):
                return True
        return False


class RegexpMatcher:
    """A named Go regexp whose captures become `{http.regexp.NAME.N}` / `{http.regexp.NAME.group}`."""

    __slots__ = ("name", "rx", "pattern")

    def __init__(self, cfg: dict[str, Any], default_name: str = "") -> None:
        self.pattern = cfg.get("pattern", "")
        self.name = cfg.get("name", "") or default_name
        try:
            self.rx = re.compile(go_regex_to_python(self.pattern))
        except re.error as e:
            raise ConfigError(f"compiling matcher regexp {self.pattern}: {e}") from None

    def match_string(self, value: str, repl: Any) -> bool:
        m = self.rx.search(value)
        if m is None:
            return False
        prefix = f"http.regexp.{self.name}." if self.name else "http.regexp."
        repl.set(prefix + "0", m.group(0))
        for i, g in enumerate(m.groups(), 1):
            repl.set(f"{prefix}{i}", g or "")
        for gname, g in m.groupdict().items():
            repl.set(prefix + gname, g or "")
        return True


def go_regex_to_python(p: str) -> str:
    """RE2's `(?<name>` group spelling, which Python before 3.12 does not accept."""
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", p)


@register("http.matchers.path_regexp")
class MatchPathRE:
    __slots__ = ("re",)

    def __init__(self, re_: RegexpMatcher) -> None:
        self.re = re_

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchPathRE":
        if not isinstance(cfg, dict):
            raise ConfigError("path_regexp: expected an object")
        return cls(RegexpMatcher(cfg))

    def match(self, req: Any) -> bool:
        return self.re.match_string(clean_path(req.decoded_path, True), req.replacer)
