"""Go (RE2) regular expressions on Python's `re`: pattern syntax and `$1`/`${name}` expansion."""
from __future__ import annotations

import re

_GO_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_TEMPLATE_REF = re.compile(r"\$(\$|\{([^}]*)\}|([A-Za-z0-9_]+))")


def compile_go(pattern: str) -> re.Pattern[str]:
    """Compile a Go regexp; `(?<name>...)` becomes Python's `(?P<name>...)`."""
    return re.compile(_GO_NAMED_GROUP.sub("(?P<", pattern))


def expand(template: str, m: re.Match[str]) -> str:
    """regexp.Expand: `$name` takes the longest word; unknown groups expand to nothing."""

    def one(ref: re.Match[str]) -> str:
        if ref.group(1) == "$":
            return "$"
        name = ref.group(2) if ref.group(2) is not None else ref.group(3)
        try:
            val = m.group(int(name)) if name.isdigit() else m.group(name)
        except (IndexError, KeyError, re.error):
            return ""
        return val or ""

    return _TEMPLATE_REF.sub(one, template)



def replace_all(pattern: re.Pattern[str], s: str, template: str) -> str:
    """regexp.ReplaceAllString."""
    if "$" not in template:
        return pattern.sub(lambda _m: template, s)
    return pattern.sub(lambda m: expand(template, m), s)
