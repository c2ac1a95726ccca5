"""`http.handlers.map`: lazily maps a source value to destination placeholders (Caddy's map).

Nothing is computed when the handler runs: it adds a placeholder provider that, when one of the
destinations is asked for, evaluates the source and walks the mappings (first hit wins; a regexp
hit expands `$1`/`${name}` in the output without further placeholder replacement, as Caddy).
"""
from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from caddy_py.config.registry import register
from caddy_py.http.handler import Next
from caddy_py.http.request import Request
from caddy_py.modules.rewrite.goregexp import compile_go, expand
from caddy_py.replacer import Replacer, to_string


class _Mapping:
    __slots__ = ("input", "input_regexp", "outputs", "re")

    def __init__(self, i: int, cfg: dict[str, Any]) -> None:
        self.input = str(cfg.get("input", ""))
        self.input_regexp = str(cfg.get("input_regexp", ""))
        self.outputs: list[Any] = list(cfg.get("outputs") or [])
        self.re: re.Pattern[str] | None = None
        if self.input_regexp:
            try:
                self.re = compile_go(self.input_regexp)
            except re.error as e:
                raise ValueError(f"compiling regexp for mapping {i}: {e}") from None


@register("http.handlers.map")
class Map:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.source = str(cfg.get("source", ""))
        self.destinations: list[str] = []
        for dest in cfg.get("destinations") or []:
            dest = str(dest)
            if dest.count("{") != 1 or not dest.startswith("{"):
                raise ValueError("destination must be a placeholder and only a placeholder")
            self.destinations.append(dest.strip("{}"))
        self.mappings = [_Mapping(i, m or {}) for i, m in enumerate(cfg.get("mappings") or [])]
        self.defaults: list[str] = [str(d) for d in cfg.get("defaults") or []]

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Map":
        return cls(cfg or {})

    def validate(self) -> None:
        n_dest, n_def = len(self.destinations), len(self.defaults)
        if n_def > 0 and n_def != n_dest:
            raise ValueError(f"{n_dest} destinations != {n_def} defaults")
        seen: dict[str, int] = {}
        for i, m in enumerate(self.mappings):
            if m.input and m.input_regexp:
                raise ValueError(f"mapping {i} has both input and input_regexp fields specified, which is confusing")
            key = m.input_regexp or m.input
            if key in seen:
                raise ValueError(f"mapping {i} has a duplicate input '{key}' previously used with mapping {seen[key]}")
            seen[key] = i
            if len(m.outputs) != n_dest:
                raise ValueError(f"mapping {i} has {len(m.outputs)} outputs but there are {n_dest} destinations defined")

    async def serve(self, req: Request, next: Next) -> web.StreamResponse:
        repl = req.replacer
        repl.map(lambda key: self.lookup(repl, key))
        return await next(req)

    def lookup(self, repl: Replacer, key: str) -> tuple[Any, bool]:
        try:
            idx = self.destinations.index(key)
        except ValueError:
            return None, False
        value = repl.replace_all(self.source)
        for m in self.mappings:
            out = m.outputs[idx] if idx < len(m.outputs) else None
            if out is None:
                continue
            text = to_string(out)
            if m.re is not None:
                hit = m.re.search(value)
                if hit is None:
                    continue
                return expand(text, hit), True
            if value == m.input:
                return repl.replace_all(text), True
        if idx < len(self.defaults):
            return repl.replace_all(self.defaults[idx]), True
        return None, True
