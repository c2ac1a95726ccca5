"""The caddyfile config adapter (Caddy's caddyconfig/caddyfile/adapter.go): Caddyfile bytes →
Caddy JSON text plus warnings."""
from __future__ import annotations

import contextlib
import gc
import os
from typing import Any, Iterator

from caddy_py import gojson
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.directives import CaddyWarning


def _as_warning(w: Any) -> CaddyWarning:
    if isinstance(w, CaddyWarning):
        return w
    if isinstance(w, str):
        return CaddyWarning(message=w)
    return CaddyWarning(getattr(w, "file", ""), getattr(w, "line", 0), getattr(w, "directive", ""),
                        getattr(w, "message", str(w)))


def _parse(filename: str, body: bytes, logs: list[Any]) -> list[Any]:
    from caddy_py.caddyfile import parser

    return list(parser.parse(filename, body, logs))


def formatting_difference(filename: str, body: bytes) -> CaddyWarning | None:
    """The "input is not formatted" warning, on the first line where `caddy fmt` would differ."""
    from caddy_py.caddyfile.formatter import formatting_difference as diff

    w = diff(filename, body)
    return _as_warning(w) if w is not None else None


def adapt_to_config(body: bytes, filename: str = "Caddyfile",
                    logs: list[Any] | None = None) -> tuple[dict, list[CaddyWarning]]:
    """Caddyfile bytes → the config as plain JSON data (dicts in Go's key order), and the
    adapter warnings.

    `logs` collects what Caddy logs through zap while adapting (parser warnings, deprecated
    site paths, ...), as ParseWarning objects, in order; they print before the output."""
    with _gc_paused():
        cfg, warnings = _adapt_objects(body, filename, logs)
        return gojson.plain(cfg), warnings


def _adapt_objects(body: bytes, filename: str, logs: list[Any] | None) -> tuple[dict, list[CaddyWarning]]:
    """The config in Go's key order, but possibly still holding objects with `to_json`."""
    from caddy_py.httpcaddyfile.httptype import setup
    from caddy_py.modules import load_caddyfile_parsers

    if not body:
        # Caddy's lexer reports io.EOF for a zero-byte input (whitespace or comments alone adapt to {})
        raise CaddyfileError("EOF")
    load_caddyfile_parsers()
    _load_builtins()
    logs = logs if logs is not None else []
    blocks = _parse(filename or "Caddyfile", body, logs)
    cfg, warnings = setup(blocks, {"filename": filename}, logs)
    fw = formatting_difference(filename or "Caddyfile", body)
    if fw is not None:
        warnings.append(fw)
    return cfg, warnings


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Adapting allocates hundreds of thousands of short-lived, mostly acyclic objects; the
    cyclic collector's passes over them cost a third of a large adapt (5,000 sites: 3.5 s with,
    2.3 s without). The few cycles left are collected by the collector's next ordinary pass."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def adapt(body: bytes, filename: str = "Caddyfile", pretty: bool = False,
          logs: list[Any] | None = None) -> tuple[str, list[CaddyWarning]]:
    """Caddyfile bytes → JSON text exactly as `caddy adapt` prints it (without the newline)."""
    with _gc_paused():  # and until the config is freed: re-enabled earlier, the collector would walk it
        cfg, warnings = _adapt_objects(body, filename, logs)
        text = gojson.dumps(cfg, pretty)
        del cfg
    return text, warnings


def _load_builtins() -> None:
    """Import the built-in directive and global option parsers that live in this package."""
    import importlib

    here = os.path.dirname(__file__)
    for name in ("builtins", "options", "serveroptions", "tlsapp", "pkiapp", "modparsers"):
        if os.path.exists(os.path.join(here, name + ".py")):
            importlib.import_module(f"caddy_py.httpcaddyfile.{name}")
