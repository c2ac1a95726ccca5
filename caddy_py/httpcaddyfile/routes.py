"""The adapter's route values: Caddy's caddyhttp.Route and caddyhttp.Subroute as the adapter
builds them, before they become JSON.

* A matcher set is a dict `{matcher name: matcher JSON value}` (Caddy's ModuleMap); each value
  is already in the key order Go prints for that matcher (struct order, or sorted for maps).
* A handler is its JSON object (a dict with a "handler" key). `json_module_object` gives it the
  alphabetical-at-every-depth key order Go prints for handler objects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caddy_py.gojson import sorted_deep

MatcherSet = dict[str, Any]


def json_module_object(value: Any, field_name: str, name: str) -> dict:
    """Caddy's JSONModuleObject: `value` as JSON plus `{field_name: name}`, round-tripped
    through a map, so keys are sorted at every depth."""
    obj = dict(value.to_json() if hasattr(value, "to_json") else value)
    obj[field_name] = name
    return sorted_deep(obj)


def encode_matcher_set(ms: MatcherSet) -> dict:
    """A ModuleMap encodes with its keys sorted; the values keep their own order."""
    return {k: ms[k] for k in sorted(ms)}


@dataclass(slots=True)
class Route:
    matcher_sets: list[MatcherSet] = field(default_factory=list)
    handlers: list[dict] = field(default_factory=list)
    group: str = ""
    terminal: bool = False

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.group:
            out["group"] = self.group
        if self.matcher_sets:
            out["match"] = [encode_matcher_set(ms) for ms in self.matcher_sets]
        if self.handlers:
            out["handle"] = list(self.handlers)
        if self.terminal:
            out["terminal"] = True
        return out

    def copy(self) -> "Route":
        return Route(list(self.matcher_sets), list(self.handlers), self.group, self.terminal)


@dataclass
class Subroute:
    """A subroute handler. As a ConfigValue of class "route" it means "keep these routes
    together, in this order, but not inside a subroute" (see build_subroute)."""

    routes: list[Route] = field(default_factory=list)
    errors: list[Route] | None = None  # HTTPErrorConfig.routes

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.routes:
            out["routes"] = [r.to_json() for r in self.routes]
        if self.errors is not None:
            out["errors"] = {"routes": [r.to_json() for r in self.errors]} if self.errors else {}
        return out

    def as_handler(self) -> dict:
        return json_module_object(self, "handler", "subroute")


def matcher_sets_equal(a: list[MatcherSet], b: list[MatcherSet]) -> bool:
    """Whether the encoded matcher sets are equal; encoding only reorders keys, which dict
    equality ignores anyway."""
    return a == b


def consolidate_routes(routes: list[Route]) -> list[Route]:
    """Merge adjacent routes whose matchers, terminal and group are identical."""
    out = list(routes)
    i = 0
    while i < len(out) - 1:
        a, b = out[i], out[i + 1]
        if matcher_sets_equal(a.matcher_sets, b.matcher_sets) and a.terminal == b.terminal and a.group == b.group:
            merged = a.copy()
            merged.handlers = a.handlers + b.handlers
            out[i] = merged
            del out[i + 1]
            continue
        i += 1
    return out
