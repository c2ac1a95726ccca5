"""Caddyfile parsers of non-handler modules, by Caddy module ID (Caddy's caddyfile.UnmarshalModule).

Options and directives such as `tls { issuer acme {...} }`, `log { output file ... }` or
`storage file_system ...` name a guest module; its parser is registered here with
`@module_parser("tls.issuance.acme")`. A parser receives a Dispenser over the module's own
segment (cursor before the module name, like Go's UnmarshalCaddyfile) and returns the module's
JSON value: a dict, or an object with `to_json()` when the adapter must compare values.
"""
from __future__ import annotations

from typing import Any, Callable

from caddy_py.caddyfile.dispenser import Dispenser

ModuleParser = Callable[[Dispenser], Any]
MODULE_PARSERS: dict[str, ModuleParser] = {}


def module_parser(module_id: str) -> Callable[[ModuleParser], ModuleParser]:
    def deco(fn: ModuleParser) -> ModuleParser:
        MODULE_PARSERS[module_id] = fn
        return fn

    return deco


_loaded = False


def _load() -> None:
    # the built-in guest modules register themselves when imported (once: a package's
    # from-import runs importlib's Python code at every call, and this is asked per module use)
    global _loaded
    if not _loaded:
        from caddy_py.httpcaddyfile import clientauth, logmodules, serveroptions, tlsmodules  # noqa: F401

        _loaded = True


def unmarshal_module(d: Dispenser, module_id: str) -> Any:
    """Parse the rest of d's current segment as module `module_id` (the cursor is on the
    module name); d ends up after the segment."""
    _load()
    fn = MODULE_PARSERS.get(module_id)
    if fn is None:
        raise d.err(f"getting module named '{module_id}': module not registered: {module_id}")
    return fn(d.new_from_next_segment())


def module_name(module_id: str) -> str:
    return module_id.rsplit(".", 1)[-1]
