"""Turning config bytes into a JSON dict: Caddy JSON as is, Caddyfiles through the adapter.

`adapter` is "", "json" or "caddyfile" (inferred from the file name as Caddy does: a file
called Caddyfile*, *.caddyfile or given with --adapter caddyfile is a Caddyfile).
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any

from caddy_py.config.context import ConfigError

LOG = logging.getLogger("caddyfile")


def infer_adapter(path: str, adapter: str = "") -> str:
    if adapter:
        return adapter
    base = os.path.basename(path)
    if base.startswith("Caddyfile") or base.endswith(".caddyfile"):
        return "caddyfile"
    return "json"


def config_from_bytes(body: bytes, adapter: str, filename: str = "Caddyfile") -> dict[str, Any]:
    if adapter in ("", "json"):
        if not body.strip():
            return {}
        try:
            cfg = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise ConfigError(f"decoding config: {e}") from None
        if not isinstance(cfg, dict):
            raise ConfigError("decoding config: json: cannot unmarshal into Go value of type caddy.Config")
        return cfg
    if adapter == "caddyfile":
        from caddy_py.httpcaddyfile.adapter import adapt_to_config

        cfg, warnings = adapt_to_config(body, filename)
        for w in warnings:
            LOG.warning("%s", getattr(w, "message", w), extra={"caddy_fields": {
                "file": getattr(w, "file", ""), "line": getattr(w, "line", 0)}})
        return json.loads(json.dumps(cfg))
    raise ConfigError(f"unrecognized config adapter '{adapter}'")


def read_config_file(path: str, adapter: str = "") -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            body = f.read()
    except OSError as e:
        raise ConfigError(f"reading config from file: open {path}: {e.strerror}") from None
    return config_from_bytes(body, infer_adapter(path, adapter), path)
