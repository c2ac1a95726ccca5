"""File side of `import`: resolving the pattern against the importing token's file, Go's
filepath.Glob semantics (sorted, dotfiles matched), Caddy's pattern limits and messages."""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from .errors import CaddyfileError
from .token import Token
from .warnings import WarningSink

if TYPE_CHECKING:  # pragma: no cover
    from .dispenser import Dispenser


def go_abs(path: str) -> str:
    """filepath.Abs: join with the working directory, then Clean."""
    return go_clean(path if os.path.isabs(path) else os.path.join(os.getcwd(), path))


def go_clean(path: str) -> str:
    cleaned = os.path.normpath(path) if path else "."
    if cleaned.startswith("//"):
        cleaned = "/" + cleaned.lstrip("/")
    return cleaned


def go_os_error(op: str, path: str, err: OSError) -> str:
    """A Go *PathError text: "open PATH: no such file or directory"."""
    msg = err.strerror or str(err)
    return f"{op} {path}: {msg[:1].lower()}{msg[1:]}"


def _has_meta(path: str) -> bool:
    return any(c in path for c in "*?[\\")


def _element_regex(pattern: str) -> re.Pattern[str]:
    """filepath.Match for one path element (Caddy has ruled out `[...]` classes already)."""
    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "\\":
            i += 1
            if i >= len(pattern):
                raise ValueError("syntax error in pattern")
            out.append(re.escape(pattern[i]))
        elif c == "[":
            raise ValueError("syntax error in pattern")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z", re.S)


def go_glob(pattern: str) -> list[str]:
    """filepath.Glob on POSIX; raises ValueError("syntax error in pattern") like ErrBadPattern."""
    if not _has_meta(pattern):
        return [pattern] if os.path.lexists(pattern) else []
    directory, file = os.path.split(pattern)
    if directory == "":
        directory = "."
    elif directory != "/":
        directory = directory.rstrip("/") or "/"
    matcher = _element_regex(file)
    dirs = go_glob(directory) if _has_meta(directory) else [directory]
    out: list[str] = []
    for d in dirs:
        if not os.path.isdir(d):
            continue
        try:
            names = sorted(os.listdir(d))
        except OSError:
            continue
        out.extend(go_clean(os.path.join(d, n)) for n in names if matcher.match(n))
    return out


class ImportFiles:
    """Reads the files an `import` names; errors point at the parser's current token."""

    def __init__(self, parser: "Dispenser", sink: WarningSink) -> None:
        self.p = parser
        self.sink = sink

    def import_pattern(self, pattern: str) -> tuple[list[Token], list[str]]:
        p = self.p
        abs_file = go_abs(p.file())
        if os.path.isabs(pattern):
            glob_pattern = pattern
        else:
            glob_pattern = go_clean(os.path.join(os.path.dirname(abs_file), pattern))
        if glob_pattern.count("*") > 1 or glob_pattern.count("?") > 1 or ("[" in glob_pattern and "]" in glob_pattern):
            raise p.err(f"Glob pattern may only contain one wildcard (*), but has others: {glob_pattern}")
        try:
            matches = go_glob(glob_pattern)
        except ValueError as e:
            raise p.err(f"Failed to use import pattern {pattern}: {e}") from None
        if not matches:
            if any(c in glob_pattern for c in "*?[]"):
                self.sink.warn("No files matching import glob pattern", pattern=pattern)
            else:
                raise p.err(f"File to import not found: {pattern}")
        elif os.path.basename(glob_pattern).startswith("*"):
            matches = [m for m in matches if not os.path.basename(m).startswith(".")]
        tokens: list[Token] = []
        for path in matches:
            tokens.extend(self._single(path))
        return tokens, matches

    def _single(self, path: str) -> list[Token]:
        from .parser import all_tokens

        p = self.p
        try:
            with open(path, "rb") as f:
                if os.path.isdir(path):
                    raise p.err(f"Could not import {path}: is a directory")
                data = f.read()
        except IsADirectoryError:
            raise p.err(f"Could not import {path}: is a directory") from None
        except OSError as e:
            raise p.err(f"Could not import {path}: {go_os_error('open', path, e)}") from None
        if not data.decode("utf-8", "replace").strip(_GO_SPACE):
            self.sink.warn("Import file is empty", file=path)
            return []
        try:
            tokens = all_tokens(path, data)
        except CaddyfileError as e:
            raise p.err(f"Could not read tokens while importing {path}: {e}") from None
        filename = go_abs(path)
        for t in tokens:
            t.file = filename
        return tokens


_GO_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
