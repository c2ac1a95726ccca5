"""The provisioning context handed to every runtime module (Caddy's caddy.Context).

One Context exists per loaded config. Modules get it in `from_json(cfg, ctx)` and
`provision(ctx)` and use it to:

    ctx.pool(name)                              process-wide UsagePool (see usagepool.py)
    ctx.logger(name)                            logging.Logger with Caddy's name ("http.handlers.x")
    await ctx.load_module("http.handlers", cfg)        one module; `cfg["handler"]` names it
    await ctx.load_module("http.reverse_proxy.transport", cfg, inline_key="protocol")
    await ctx.load_handlers(list_of_cfgs)              [handler, ...] in order
    await ctx.load_matchers(match_list)                MatcherSets (OR of AND sets) or None
    await ctx.load_routes(routes_json)                 compiled RouteList (subroute)
    ctx.app(name)                               a started app of this config ("http"), or None
    ctx.servers                                 the http app's servers by name (dict)
    ctx.on_cleanup(fn)                          extra cleanup (sync or async), run on unload

A class may list its JSON keys in `JSON_FIELDS` (a frozenset): any other key is refused as Go's
strict decoding does (`decoding module config: ID: json: unknown field "x"`); nested objects
can be checked with `check_fields(module_id, obj, fields)` from `from_json`.

Loading a module = `cls.from_json(cfg, ctx)`, then `await provision(ctx)` and `validate()` when
the class defines them. The context remembers every module it loaded and, when this config is
replaced or stopped, awaits their `cleanup()` in reverse load order (children before parents is
not guaranteed; do not depend on a sibling in cleanup).

Errors: a module rejecting its config raises `ConfigError` (or ValueError) with a message;
loading wraps it the way Caddy words its chain: `route 0: loading handler modules: position 0:
loading module 'NAME': provision http.handlers.NAME: message`.
"""
from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any, Callable

from caddy_py.config.registry import lookup
from caddy_py.config.usagepool import UsagePool, pool

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.matchers import MatcherSets
    from caddy_py.http.routes import RouteList


class ConfigError(Exception):
    """A config the runtime cannot load; the message is shown as is."""


class DecodeError(ConfigError):
    """A config object with a field its module does not have (Go's strict JSON decoding)."""


def check_fields(module_id: str, cfg: Any, fields: "frozenset[str] | set[str]") -> None:
    """Reject the first unknown field, worded as Caddy's strict decoding of module configs."""
    if isinstance(cfg, dict):
        for k in cfg:
            if k not in fields:
                raise DecodeError(f'decoding module config: {module_id}: json: unknown field "{k}"')


def _text(e: BaseException) -> str:
    """An exception's message (KeyError's str() adds quotes)."""
    if isinstance(e, KeyError) and e.args:
        return f"missing {e.args[0]}"
    return str(e)


class Context:
    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config: dict[str, Any] = config or {}
        self.apps: dict[str, Any] = {}
        self._loaded: list[Any] = []
        self._cleanups: list[Callable[[], Any]] = []

    # -- shared resources and logging ------------------------------------------------------
    @staticmethod
    def pool(name: str) -> UsagePool:
        return pool(name)

    @staticmethod
    def logger(name: str) -> logging.Logger:
        return logging.getLogger(name)

    def app(self, name: str) -> Any:
        return self.apps.get(name)

    @property
    def servers(self) -> dict[str, Any]:
        http = self.apps.get("http")
        return getattr(http, "servers", {}) if http is not None else {}

    def on_cleanup(self, fn: Callable[[], Any]) -> None:
        self._cleanups.append(fn)

    # -- module loading --------------------------------------------------------------------
    async def load_module(self, namespace: str, cfg: dict[str, Any], inline_key: str = "handler") -> Any:
        if not isinstance(cfg, dict):
            raise ConfigError(f"module config for {namespace} must be an object")
        name = cfg.get(inline_key)
        if not name:
            raise ConfigError(f"module name not specified with key '{inline_key}' in {cfg}")
        body = {k: v for k, v in cfg.items() if k != inline_key}
        try:
            return await self.load_by_id(f"{namespace}.{name}", body)
        except ConfigError as e:
            raise ConfigError(f"loading module '{name}': {e}") from None

    async def load_by_id(self, module_id: str, cfg: Any) -> Any:
        """Build, provision and validate one module; errors worded as Caddy's LoadModule."""
        cls = lookup(module_id)
        if cls is None:
            raise ConfigError(f"unknown module: {module_id}")
        fields = getattr(cls, "JSON_FIELDS", None)
        if fields is not None:
            check_fields(module_id, cfg, fields)
        try:
            mod = cls.from_json(cfg, self)
            prov = getattr(mod, "provision", None)
            self._loaded.append(mod)
            if prov is not None:
                res = prov(self)
                if inspect.isawaitable(res):
                    await res
        except DecodeError:
            raise
        except (ConfigError, ValueError, TypeError, KeyError, AttributeError) as e:
            raise ConfigError(f"provision {module_id}: {_text(e)}") from None
        val = getattr(mod, "validate", None)
        if val is not None:
            try:
                val()
            except (ConfigError, ValueError, TypeError, KeyError) as e:
                raise ConfigError(f"{module_id}: invalid configuration: {_text(e)}") from None
        return mod

    async def load_handlers(self, cfgs: list[dict[str, Any]] | None) -> list[Any]:
        out = []
        for i, c in enumerate(cfgs or []):
            try:
                out.append(await self.load_module("http.handlers", c))
            except ConfigError as e:
                raise ConfigError(f"position {i}: {e}") from None
        return out

    async def load_matchers(self, match_list: list[dict[str, Any]] | None) -> "MatcherSets | None":
        from caddy_py.http.matchers import load_matcher_sets

        return await load_matcher_sets(self, match_list)

    async def load_routes(self, routes: list[dict[str, Any]] | None) -> "RouteList":
        from caddy_py.http.routes import RouteList

        return await RouteList.load(self, routes or [])

    # -- teardown --------------------------------------------------------------------------
    async def cleanup(self) -> None:
        """Clean up every loaded module (errors are logged, never raised)."""
        log = logging.getLogger("caddy_py.config")
        items = [getattr(m, "cleanup", None) for m in reversed(self._loaded)] + list(reversed(self._cleanups))
        self._loaded.clear()
        self._cleanups.clear()
        for fn in items:
            if fn is None:
                continue
            try:
                res = fn()
                if inspect.isawaitable(res):
                    await res
            except Exception:  # noqa: BLE001 - one bad module must not block the rest
                log.exception("cleanup failed")
