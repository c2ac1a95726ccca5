"""http.matchers.not (negated OR of matcher sets), http.matchers.vars, http.matchers.vars_regexp."""
from __future__ import annotations

from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.matchers.path import RegexpMatcher
from caddy_py.replacer import to_string


@register("http.matchers.not")
class MatchNot:
    __slots__ = ("cfg", "sets")

    def __init__(self, cfg: list[dict[str, Any]]) -> None:
        self.cfg = cfg
        self.sets: Any = None

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchNot":
        if isinstance(cfg, dict):
            cfg = [cfg]
        if not isinstance(cfg, list):
            raise ConfigError("not matcher: expected a list of matcher sets")
        return cls(cfg)

    async def provision(self, ctx: Any) -> None:
        self.sets = await ctx.load_matchers(self.cfg)

    def match(self, req: Any) -> bool:
        return self.sets is None or not self.sets.match(req)


def var_value(req: Any, key: str) -> Any:
    """A vars matcher key: `{placeholder}` or a variable name."""
    if key.startswith("{") and key.endswith("}") and key.count("{") == 1:
        return req.replacer.get(key[1:-1])[0]
    return req.vars.get(key)


@register("http.matchers.vars")
class MatchVars:
    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchVars":
        if not isinstance(cfg, dict):
            raise ConfigError("vars matcher: expected an object")
        return cls({k: list(v or []) for k, v in cfg.items()})

    def match(self, req: Any) -> bool:
        for key, vals in self.fields.items():
            actual = to_string(var_value(req, key))
            for v in vals:
                if actual == req.replacer.replace_all(v, ""):
                    return True
        return False


@register("http.matchers.vars_regexp")
class MatchVarsRE:
    __slots__ = ("fields",)

    def __init__(self, fields: dict[str, RegexpMatcher]) -> None:
        self.fields = fields

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchVarsRE":
        if not isinstance(cfg, dict):
            raise ConfigError("vars_regexp matcher: expected an object")
        return cls({k: RegexpMatcher(v or {}) for k, v in cfg.items()})

    def match(self, req: Any) -> bool:
        for key, rm in self.fields.items():
            if not rm.match_string(to_string(var_value(req, key)), req.replacer):
                return False
        return True
