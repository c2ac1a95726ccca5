"""The caddyfile config adapter (Caddy's caddyconfig/caddyfile/adapter.go): Caddyfile bytes →
Caddy JSON text plus warnings."""
from __future__ import annotations

import os
from typing import Any

from caddy_py import gojson
from caddy_py.httpcaddyfile.directives import CaddyWarning

FORMAT_WARNING = "Caddyfile input is not formatted; run 'caddy fmt --overwrite' to fix inconsistencies"


def _as_warning(w: Any) -> CaddyWarning:
    if isinstance(w, CaddyWarning):
        return w
    if isinstance(w, str):
        return CaddyWarning(message=w)
    return CaddyWarning(getattr(w, "file", ""), getattr(w, "line", 0), getattr(w, "directive", ""),
                        getattr(w, "message", str(w)))


def _parse(filename: str, body: bytes) -> tuple[list[Any], list[CaddyWarning]]:
    from caddy_py.caddyfile import parser

    result = parser.parse(filename, body)
    if isinstance(result, tuple):
        blocks, warns = result[0], result[1]
    else:
        blocks, warns = result, getattr(parser, "last_warnings", [])
    return list(blocks), [_as_warning(w) for w in warns or []]


def formatting_difference(filename: str, body: bytes) -> CaddyWarning | None:
    """The "input is not formatted" warning, on the first line where `caddy fmt` would differ."""
    try:
        from caddy_py.caddyfile import formatter
    except ImportError:
        return None
    fn = getattr(formatter, "formatting_difference", None)
    if fn is not None:
        res = fn(filename, body)
        if isinstance(res, tuple):
            w, different = res
            return _as_warning(w) if different else None
        return _as_warning(res) if res else None
    normalized = body.replace(b"\r\n", b"\n")
    formatted = formatter.format(normalized)
    if isinstance(formatted, str):
        formatted = formatted.encode()
    if formatted == normalized:
        return None
    line = 1
    for i, ch in enumerate(normalized):
        if i >= len(formatted) or ch != formatted[i]:
            break
        if ch == 0x0A:
            line += 1
    return CaddyWarning(filename, line, "", FORMAT_WARNING)


def adapt_to_config(body: bytes, filename: str = "Caddyfile") -> tuple[dict, list[CaddyWarning]]:
    """Caddyfile bytes → the config as an ordered dict, and the warnings."""
    from caddy_py.httpcaddyfile.httptype import setup
    from caddy_py.modules import load_caddyfile_parsers

    load_caddyfile_parsers()
    _load_builtins()
    blocks, warnings = _parse(filename or "Caddyfile", body)
    cfg, setup_warnings = setup(blocks, {"filename": filename})
    warnings = warnings + setup_warnings
    fw = formatting_difference(filename or "Caddyfile", body)
    if fw is not None:
        warnings.append(fw)
    return cfg, warnings


def adapt(body: bytes, filename: str = "Caddyfile", pretty: bool = False) -> tuple[str, list[CaddyWarning]]:
    """Caddyfile bytes → JSON text exactly as `caddy adapt` prints it (without the newline)."""
    cfg, warnings = adapt_to_config(body, filename)
    return gojson.dumps(cfg, pretty), warnings


def _load_builtins() -> None:
    """Import the built-in directive and global option parsers that live in this package."""
    import importlib

    here = os.path.dirname(__file__)
    for name in ("builtins", "options", "serveroptions", "tlsapp", "pkiapp", "modparsers"):
        if os.path.exists(os.path.join(here, name + ".py")):
            importlib.import_module(f"caddy_py.httpcaddyfile.{name}")
