"""`{args[N]}`, `{args[a:b]}` and the deprecated `{args.N}` in imported tokens (importargs.go),
plus the one Replacer behaviour imports rely on: ReplaceKnown over an args-only replacer."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable

from .token import Token
from .warnings import WarningSink

_GO_INT = re.compile(r"[+-]?[0-9]+\Z")


def go_atoi(text: str) -> int | None:
    """strconv.Atoi: optional sign and ASCII digits, within int64; None where Go errors."""
    if not _GO_INT.match(text):
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


def _where(token: Token) -> dict:
    return {"file": f"{token.file}:{token.line}", "import_chain": list(token.imports)}


def parse_variadic(token: Token, arg_count: int, sink: WarningSink) -> tuple[bool, int, int]:
    """Whether the whole token is `{args[start:end]}`, and the argument range it spreads to."""
    text = token.text
    if not text.startswith("{args[") or not text.endswith("]}"):
        return False, 0, 0
    arg_range = text[len("{args["):]
    arg_range = arg_range[: -len("]}")] if arg_range.endswith("]}") else arg_range
    if arg_range == "":
        sink.warn(f"Placeholder {text} cannot have an empty index", "caddyfile", **_where(token))
        return False, 0, 0
    start, found, end = arg_range.partition(":")
    if not found:
        return False, 0, 0
    if "}" in start or "{" in end:
        return False, 0, 0
    start_index, end_index = 0, arg_count
    if start:
        v = go_atoi(start)
        if v is None:
            sink.warn(f"Variadic placeholder {text} has an invalid start index", "caddyfile", **_where(token))
            return False, 0, 0
        start_index = v
    if end:
        v = go_atoi(end)
        if v is None:
            sink.warn(f"Variadic placeholder {text} has an invalid end index", "caddyfile", **_where(token))
            return False, 0, 0
        end_index = v
    if start_index < 0 or start_index > end_index or end_index > arg_count:
        sink.warn(
            f"Variadic placeholder {text} indices are out of bounds, only {arg_count} argument(s) exist",
            "caddyfile", **_where(token),
        )
        return False, 0, 0
    return True, start_index, end_index


def args_lookup(args: list[str], sink: WarningSink) -> Callable[[str], str | None]:
    """The value of a placeholder key (`args[0]`, deprecated `args.0`), or None when it is not
    one we know (then the placeholder stays as written)."""

    def index(raw: str, shown: str) -> int | None:
        value = go_atoi(raw)
        if value is None:
            sink.warn(f"Placeholder {shown} has an invalid index", "caddyfile")
            return None
        if value >= len(args) or value < 0:
            sink.warn(f"Placeholder {shown} index is out of bounds, only {len(args)} argument(s) exist", "caddyfile")
            return None
        return value

    def lookup(key: str) -> str | None:
        if key.startswith("args.") and len(key) > len("args."):
            raw = key[len("args."):]
            if "\n" in raw:  # Go's `.` stops at a newline: then it is not our placeholder
                return None
            i = index(raw, f"{{args.{raw}}}")
            if i is None:
                return None
            sink.warn(f"Placeholder {{args.{raw}}} deprecated, use {{args[{raw}]}} instead", "caddyfile")
            return args[i]
        if key.startswith("args[") and key.endswith("]") and len(key) > len("args[]"):
            raw = key[len("args["): -1]
            if "\n" in raw:
                return None
            if ":" in raw:
                sink.warn(f"Variadic placeholder {{args[{raw}]}} must be a token on its own", "caddyfile")
                return None
            i = index(raw, f"{{args[{raw}]}}")
            return None if i is None else args[i]
        return None

    return lookup


@lru_cache(maxsize=1)
def _args_replacer() -> type:
    """The replacer class, built on first use: caddy_py.replacer is costly to import and only
    imports with arguments need it."""
    from caddy_py.replacer import Replacer

    class ArgsReplacer(Replacer):
        """Caddy's NewEmptyReplacer plus the args mapping: no global placeholders ({env.*} etc.)."""

        __slots__ = ("lookup",)

        def __init__(self, lookup: Callable[[str], str | None]) -> None:
            super().__init__()
            self.lookup = lookup

        def get(self, key: str) -> tuple[Any, bool]:
            value = self.lookup(key)
            return value, value is not None

    return ArgsReplacer


def replace_known(text: str, lookup: Callable[[str], str | None]) -> str:
    """Replacer.ReplaceKnown(text, "") over the args: known placeholders are substituted, unknown
    ones stay; as a side effect every `\\{` and `\\}` loses its backslash."""
    from caddy_py.replacer import PlaceholderError

    try:
        return _args_replacer()(lookup).replace_known(text)
    except PlaceholderError:
        return ""  # "too many unclosed placeholders": ReplaceKnown drops the error, output is ""
