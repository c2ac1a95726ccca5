"""Placeholders: one Replacer per request with Caddy's vocabulary (`{http.request.uri}`,
`{remote_host}` shorthands are expanded by the adapter, so the runtime sees the long forms).

Interface (Caddy's caddy.Replacer, snake_case) — owned by the runtime core:
    r.set(key, value); r.get(key) -> (value, found); r.delete(key)
    r.map(provider)                      # provider(key) -> (value, found), consulted in order
    r.replace_all(s, empty="")           # unknown placeholders -> `empty`
    r.replace_known(s, empty="")         # unknown placeholders stay as written
    r.replace_or_err(s, err_on_empty, err_on_unknown)
Values are converted to text as Caddy does (bools lower-case, lists joined with ",").

Lookup order: values `set` on this replacer, then mapped providers (the HTTP server maps one
that computes `{http.request.*}` lazily from the request), then the global ones (`{env.*}`,
`{system.*}`, `{time.now*}`, `{file.*}`). Unknown keys report found=False.
"""
from __future__ import annotations

import logging
import os
import platform
import time
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, Callable

Provider = Callable[[str], "tuple[Any, bool]"]


class PlaceholderError(Exception):
    pass


def to_string(val: Any) -> str:
    """Text for a placeholder value, the way Caddy's ToString renders it."""
    if val is None:
        return ""
    if isinstance(val, str):
        return val
    if isinstance(val, bool):
        return "true" if val else "false"
    if isinstance(val, int):
        return str(val)
    if isinstance(val, float):
        if val == int(val) and abs(val) < 1e21:
            return str(int(val))
        return format(val, "f").rstrip("0").rstrip(".") if "e" in repr(val) else repr(val)
    if isinstance(val, (bytes, bytearray)):
        return val.decode("utf-8", "replace")
    if isinstance(val, (list, tuple)):
        return ",".join(to_string(v) for v in val)
    return str(val)


_GO_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i386": "386", "i686": "386"}


def _now_go_string(now: datetime) -> str:
    s = now.strftime("%Y-%m-%d %H:%M:%S.%f").rstrip("0").rstrip(".")
    return f"{s} {now.strftime('%z')} {now.strftime('%Z') or 'UTC'}"


def global_value(key: str) -> tuple[Any, bool]:
    """{env.*}, {system.*}, {time.now*}, {file.*}: usable in any context."""
    if key.startswith("env."):
        return os.environ.get(key[4:], ""), True
    if key.startswith("time.now"):
        if key == "time.now":
            return _now_go_string(datetime.now().astimezone()), True
        if key == "time.now.http":
            return formatdate(usegmt=True), True
        if key == "time.now.common_log":
            return datetime.now().astimezone().strftime("%d/%b/%Y:%H:%M:%S %z"), True
        if key == "time.now.year":
            return str(datetime.now().year), True
        if key == "time.now.unix":
            return str(int(time.time())), True
        if key == "time.now.unix_ms":
            return str(time.time_ns() // 1_000_000), True
        return None, False
    if key.startswith("system."):
        if key == "system.hostname":
            return platform.node(), True
        if key == "system.slash":
            return os.sep, True
        if key == "system.os":
            return {"win32": "windows"}.get(os.sys.platform, os.sys.platform), True
        if key == "system.wd":
            try:
                return os.getcwd(), True
            except OSError:
                return "", True
        if key == "system.arch":
            m = platform.machine().lower()
            return _GO_ARCH.get(m, m), True
        return None, False
    if key.startswith("file."):
        name = key[5:]
        try:
            with open(name, "rb") as f:
                body = f.read(1024 * 1024 + 1)
        except OSError:
            logging.getLogger("caddy").error("placeholder: failed to read file %s", name)
            return None, True
        if len(body) > 1024 * 1024:
            return None, True
        text = body.decode("utf-8", "replace")
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        return text, True
    return None, False


class Replacer:
    __slots__ = ("static", "providers")

    def __init__(self) -> None:
        self.static: dict[str, Any] = {}
        self.providers: list[Provider] = []

    def set(self, key: str, value: Any) -> None:
        self.static[key] = value

    def delete(self, key: str) -> None:
        self.static.pop(key, None)

    def delete_by_prefix(self, prefix: str) -> None:
        for k in [k for k in self.static if k.startswith(prefix)]:
            del self.static[k]

    def map(self, provider: Provider) -> None:
        self.providers.append(provider)

    def get(self, key: str) -> tuple[Any, bool]:
        if key in self.static:
            return self.static[key], True
        for p in self.providers:
            val, ok = p(key)
            if ok:
                return val, True
        return global_value(key)

    def get_string(self, key: str) -> tuple[str, bool]:
        val, ok = self.get(key)
        return to_string(val), ok

    def replace_all(self, s: str, empty: str = "") -> str:
        return self._replace(s, empty, True, False, False)

    def replace_known(self, s: str, empty: str = "") -> str:
        return self._replace(s, empty, False, False, False)

    def replace_or_err(self, s: str, err_on_empty: bool = False, err_on_unknown: bool = False) -> str:
        return self._replace(s, "", False, err_on_empty, err_on_unknown)

    def _replace(self, s: str, empty: str, unknown_as_empty: bool, err_empty: bool, err_unknown: bool) -> str:
        if "{" not in s and "}" not in s:
            return s
        out: list[str] = []
        written = 0  # everything before this index is in `out`
        unclosed = 0
        n = len(s)
        i = 0
        while i < n:
            c = s[i]
            if i > 0 and s[i - 1] == "\\" and (c == "{" or c == "}"):
                # an escaped brace: drop the backslash, keep the brace literally
                out.append(s[written:i - 1])
                written = i
                i += 1
                continue
            if c != "{":
                i += 1
                continue
            if unclosed > 100:
                raise PlaceholderError("too many unclosed placeholders")
            end = s.find("}", i)
            if end < 0:
                unclosed += 1
                i += 1
                continue
            # skip closing braces that are escaped
            skip = False
            while 0 < end < n - 1 and s[end - 1] == "\\":
                nxt = s.find("}", end + 1)
                if nxt < 0:
                    unclosed += 1
                    skip = True
                    break
                end = nxt
            if skip:
                i += 1
                continue
            key = s[i + 1:end]
            val, found = self.get(key)
            if not found:
                if err_unknown:
                    raise PlaceholderError(f"unrecognized placeholder {{{key}}}")
                if not unknown_as_empty:
                    i += 1
                    continue
            out.append(s[written:i])
            text = to_string(val)
            if not text:
                if err_empty:
                    raise PlaceholderError(f"evaluated placeholder {{{key}}} is empty")
                out.append(empty)
            else:
                out.append(text)
            i = end + 1
            written = i
        out.append(s[written:])
        return "".join(out)


def new_replacer() -> Replacer:
    return Replacer()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
