"""One subpackage per Caddy module (or family): `caddyfile.py` holds its Caddyfile parsing
(adapter side, imported by `caddy-py adapt`), `handler.py` (or other runtime files) its runtime.

The adapter must not import the runtime: adapting stays fast and free of aiohttp.
"""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil

_loaded: set[str] = set()


def _import_all(suffix: str) -> None:
    if suffix in _loaded:
        return
    _loaded.add(suffix)
    for info in pkgutil.iter_modules(__path__):
        if not info.ispkg:
            continue
        name = f"{__name__}.{info.name}.{suffix}"
        spec = importlib.util.find_spec(name)
        if spec is not None:
            importlib.import_module(name)


def load_caddyfile_parsers() -> None:
    """Import every module's Caddyfile parser so that its directives register themselves."""
    _import_all("caddyfile")


def load_runtime_modules() -> None:
    """Import every module's runtime so that its classes register their module IDs."""
    _import_all("handler")
