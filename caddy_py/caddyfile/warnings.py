"""Warnings the parser emits (Caddy logs them through zap; the caller decides how to print)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ParseWarning:
    message: str
    # zap logger name: "" for caddy.Log(), "caddyfile" for caddy.Log().Named("caddyfile")
    logger: str = ""
    fields: dict[str, Any] = field(default_factory=dict)

    def zap_json(self, ts: float) -> str:
        """The line Caddy writes on stderr: {"level":"warn","ts":..,"logger":..,"msg":..,...}."""
        out: dict[str, Any] = {"level": "warn", "ts": ts}
        if self.logger:
            out["logger"] = self.logger
        out["msg"] = self.message
        out.update(self.fields)
        return json.dumps(out, ensure_ascii=False, separators=(",", ":"))


class WarningSink:
    """Collects warnings into the caller's list, or logs them when the caller gave none."""

    def __init__(self, out: list[ParseWarning] | None) -> None:
        self.out = out

    def warn(self, message: str, logger: str = "", **fields: Any) -> None:
        w = ParseWarning(message, logger, dict(fields))
        if self.out is not None:
            self.out.append(w)
        else:
            logging.getLogger(logger or "caddy").warning("%s %s", message, fields or "")
