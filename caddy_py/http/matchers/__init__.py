"""Request matchers at runtime (`http.matchers.*`) and matcher sets.

A matcher module is registered as `http.matchers.NAME`, built with `cls.from_json(cfg, ctx)`
(cfg is the JSON value under its name: a list for `path`, an object for `header`, ...) and
answers `match(req) -> bool` synchronously. Matchers that capture (path_regexp, header_regexp,
vars_regexp) store `{http.regexp.NAME.N}` values in the request's replacer when they match.

A route's `match` is a list of matcher sets: the sets are OR'ed, the matchers inside a set AND'ed.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.config.context import Context
    from caddy_py.http.request import Request


class MatcherSet:
    """Matchers AND'ed together (a JSON object: {"path": [...], "method": [...]})."""

    __slots__ = ("matchers",)

    def __init__(self, matchers: list[Any]) -> None:
        self.matchers = matchers

    def match(self, req: "Request") -> bool:
        for m in self.matchers:
            if not m.match(req):
                return False
        return True


class MatcherSets:
    """Matcher sets OR'ed together (a route's `match` list)."""

    __slots__ = ("sets",)

    def __init__(self, sets: list[MatcherSet]) -> None:
        self.sets = sets

    def match(self, req: "Request") -> bool:
        for s in self.sets:
            if s.match(req):
                return True
        return False


async def load_matcher_set(ctx: "Context", cfg: dict[str, Any]) -> MatcherSet:
    from caddy_py.config.context import ConfigError

    if not isinstance(cfg, dict):
        raise ConfigError("matcher set must be an object")
    # cheap matchers first: the order inside a set does not change the result
    loaded = {}
    for n in cfg:
        try:
            loaded[n] = await ctx.load_by_id(f"http.matchers.{n}", cfg[n])
        except ConfigError as e:
            raise ConfigError(f"module name '{n}': {e}") from None
    names = sorted(cfg, key=lambda n: _COST.get(n, 5))
    return MatcherSet([loaded[n] for n in names])


async def load_matcher_sets(ctx: "Context", match_list: list[dict[str, Any]] | None) -> MatcherSets | None:
    if not match_list:
        return None
    return MatcherSets([await load_matcher_set(ctx, c) for c in match_list])


_COST = {"method": 0, "host": 1, "path": 2, "protocol": 2, "query": 3, "header": 3, "vars": 3,
         "remote_ip": 4, "client_ip": 4, "path_regexp": 6, "header_regexp": 6, "vars_regexp": 6,
         "not": 7, "expression": 8, "file": 9}


def load_all() -> None:
    """Import every matcher module so that it registers itself."""
    from caddy_py.http.matchers import (  # noqa: F401
        expression, file, host, logic, path, remote_ip, request_fields, tls, url_pattern,
    )
