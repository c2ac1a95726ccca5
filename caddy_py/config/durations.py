"""Caddy JSON durations: integer nanoseconds or Go duration strings ("1m30s", "2d")."""
from __future__ import annotations

import re
from typing import Any

from caddy_py.config.context import ConfigError

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
          "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h|d))+|0)")
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d)")


def duration_seconds(value: Any, default: float = 0.0) -> float:
    if value is None or value == "":
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value / 1e9
    m = _DURATION.fullmatch(str(value).strip())
    if not m:
        raise ConfigError(f"time: invalid duration \"{value}\"")
    total = sum(float(n) * _UNITS[u] for n, u in _PART.findall(m.group(2)))
    return -total if m.group(1) == "-" else total
