"""http.matchers.file: try_files. Candidates are file names with placeholders, joined safely to
`root`; the chosen one sets `{http.matchers.file.relative|absolute|type|remainder}`.

Limit: candidates are taken literally (no glob expansion), the local file system only.
"""
from __future__ import annotations

import os
from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.handler import HandlerError
from caddy_py.http.matchers.path import go_clean

POLICIES = ("", "first_exist", "first_exist_fallback", "largest_size", "smallest_size",
            "most_recently_modified")


def sanitized_path_join(root: str, req_path: str) -> str:
    """Caddy's SanitizedPathJoin: join without escaping root, keeping a trailing slash."""
    if not root:
        root = "."
    rel = go_clean("/" + req_path).lstrip("/")
    joined = os.path.join(root, rel) if rel else root
    if req_path.endswith("/") and not joined.endswith("/"):
        joined += "/"
    return joined


def _error_code(pattern: str) -> None:
    if len(pattern) > 1 and pattern[0] == "=":
        try:
            code = int(pattern[1:])
        except ValueError:
            return
        raise HandlerError(code, f"try_files: {pattern}")


@register("http.matchers.file")
class MatchFile:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.root = cfg.get("root") or "{http.vars.root}"
        self.try_files = list(cfg.get("try_files") or ["{http.request.uri.path}"])
        self.policy = cfg.get("try_policy", "")
        self.split = list(cfg.get("split_path") or [])
        if self.policy not in POLICIES:
            raise ConfigError(f"unrecognized try policy: {self.policy}")

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchFile":
        if not isinstance(cfg, dict):
            raise ConfigError("file matcher: expected an object")
        return cls(cfg)

    def _first_split(self, path: str) -> tuple[str, str]:
        for s in self.split:
            i = path.lower().find(s.lower())
            if i >= 0:
                return path[:i + len(s)], path[i + len(s):]
        return path, ""

    def _candidate(self, repl: Any, root: str, pattern: str) -> tuple[str, str, str]:
        expanded = repl.replace_all(pattern, "")
        before, after = self._first_split(go_clean(expanded))
        if pattern.endswith("/"):
            before += "/"
        full = sanitized_path_join(root, before)
        rel = full[len(root):] if full.startswith(root) else full
        return full, rel, after

    def match(self, req: Any) -> bool:
        repl = req.replacer
        root = os.path.normpath(repl.replace_all(self.root, ".") or ".")
        if self.policy in ("", "first_exist", "first_exist_fallback"):
            last = len(self.try_files) - 1 if self.policy == "first_exist_fallback" else -1
            for i, pattern in enumerate(self.try_files):
                _error_code(pattern)
                full, rel, rem = self._candidate(repl, root, pattern)
                if i == last:
                    self._set(repl, full, rel, rem, False)
                    return True
                is_dir = os.path.isdir(full)
                if (is_dir if full.endswith("/") else os.path.isfile(full)):
                    self._set(repl, full, rel, rem, is_dir)
                    return True
            return False
        best: tuple[Any, ...] | None = None
        for pattern in self.try_files:
            full, rel, rem = self._candidate(repl, root, pattern)
            try:
                st = os.stat(full)
            except OSError:
                continue
            key = {"largest_size": st.st_size, "smallest_size": -st.st_size,
                   "most_recently_modified": st.st_mtime}[self.policy]
            if best is None or key > best[0]:
                best = (key, full, rel, rem, os.path.isdir(full))
        if best is None:
            return False
        self._set(repl, *best[1:])
        return True

    @staticmethod
    def _set(repl: Any, full: str, rel: str, rem: str, is_dir: bool) -> None:
        repl.set("http.matchers.file.relative", rel)
        repl.set("http.matchers.file.absolute", full)
        repl.set("http.matchers.file.remainder", rem)
        repl.set("http.matchers.file.type", "directory" if is_dir else "file")
