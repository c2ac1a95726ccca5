"""Runtime module registry, keyed by Caddy module ID ("http.handlers.reverse_proxy").

A runtime module is a class registered with `@register("http.handlers.NAME")`. The loader builds
it with `cls.from_json(cfg, ctx)`, then awaits `provision(ctx)`, calls `validate()`, and on
config replacement awaits `cleanup()`. Only `from_json` is required; the rest are optional.
"""
from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")

_MODULES: dict[str, type] = {}
_loaded = False


def register(module_id: str) -> Callable[[type[T]], type[T]]:
    def deco(cls: type[T]) -> type[T]:
        if module_id in _MODULES and _MODULES[module_id] is not cls:
            raise RuntimeError(f"module already registered: {module_id}")
        _MODULES[module_id] = cls
        cls.module_id = module_id  # type: ignore[attr-defined]
        return cls

    return deco


def lookup(module_id: str) -> type | None:
    if not _loaded:
        _load_all()
    return _MODULES.get(module_id)


def _load_all() -> None:
    """Import every runtime module once: the core (http app, matchers) and caddy_py/modules."""
    global _loaded
    _loaded = True
    import caddy_py.http.app  # noqa: F401
    import caddy_py.tls.app  # noqa: F401 - the tls and pki apps
    from caddy_py.http.matchers import load_all

    load_all()
    _import_module_runtimes()


def _import_module_runtimes() -> None:
    """Import caddy_py/modules/*/handler.py one by one: a module that fails to import is
    logged and skipped, so one broken module does not take the whole server down."""
    import importlib
    import importlib.util
    import logging
    import pkgutil

    import caddy_py.modules as mods

    for info in pkgutil.iter_modules(mods.__path__):
        if not info.ispkg:
            continue
        name = f"{mods.__name__}.{info.name}.handler"
        try:
            if importlib.util.find_spec(name) is not None:
                importlib.import_module(name)
        except Exception as e:  # noqa: BLE001 - reported, the rest still load
            logging.getLogger("caddy").error("importing runtime module %s: %s", name, e)


def namespace(prefix: str) -> dict[str, type]:
    """Every module whose ID is `prefix.NAME`, by NAME."""
    lookup("")
    p = prefix + "."
    return {k[len(p):]: v for k, v in _MODULES.items() if k.startswith(p) and "." not in k[len(p):]}


def module_ids() -> list[str]:
    lookup("")
    return sorted(_MODULES)


