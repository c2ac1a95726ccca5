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

from caddy_py.gojson import sorted_deep, sorted_object

MatcherSet = dict[str, Any]


class SortedHandler(dict):
    """A handler object json_module_object made: keys sorted at every depth, a fresh copy that
    nothing mutates afterwards. A subroute holding it can take it as it is instead of sorting it
    again (every site's subroute holds all its handlers: ~half the sorting time otherwise)."""

    __slots__ = ()


def json_module_object(value: Any, field_name: str, name: str) -> dict:
    """Caddy's JSONModuleObject: `value` as JSON plus `{field_name: name}`, round-tripped
    through a map, so keys are sorted at every depth."""
    if type(value) is Subroute and field_name == "handler" and name == "subroute":
        return value.as_handler()
    obj = dict(value.to_json() if hasattr(value, "to_json") else value)
    obj[field_name] = name
    return sorted_object(obj, SortedHandler)


def _sorted_handler(h: Any) -> dict:
    return h if type(h) is SortedHandler else sorted_deep(h)


def _sorted_matcher_set(ms: MatcherSet) -> dict:
    """sorted_deep(encode_matcher_set(ms)); the common matchers (lists of strings, e.g. host
    and path) are copied in Python instead of a C round trip."""
    out = {}
    for k in sorted(ms):
        v = ms[k]
        if type(v) is list and all(type(x) is str for x in v):
            out[k] = list(v)
        else:
            out[k] = sorted_deep(v)
    return out


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

    def sorted_json(self) -> dict:
        """sorted_deep(self.to_json()) without sorting the handlers json_module_object sorted
        already (group, handle, match, terminal: alphabetical)."""
        out: dict[str, Any] = {}
        if self.group:
            out["group"] = self.group
        if self.handlers:
            out["handle"] = [_sorted_handler(h) for h in self.handlers]
        if self.matcher_sets:
            out["match"] = [_sorted_matcher_set(ms) for ms in self.matcher_sets]
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
        """json_module_object(self, "handler", "subroute"), built sorted from the routes'
        own sorted forms (errors, handler, routes: alphabetical)."""
        out: dict[str, Any] = {}
        if self.errors is not None:
            out["errors"] = {"routes": [r.sorted_json() for r in self.errors]} if self.errors else {}
        out["handler"] = "subroute"
        if self.routes:
            out["routes"] = [r.sorted_json() for r in self.routes]
        return SortedHandler(out)


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
