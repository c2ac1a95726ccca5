"""Kept for importers (websocket_notifier): durations are parsed by the core's
`caddy_py.config.durations`; `seconds` is its `duration_seconds`."""
from __future__ import annotations

from caddy_py.config.durations import duration_seconds as seconds

__all__ = ["seconds"]
