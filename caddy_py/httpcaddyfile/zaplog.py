"""Warnings Caddy logs through its global zap logger while adapting (deprecations and the like).

Directive and option parsers have no handle on the adapter's log list, just as Go's parsers
call caddy.Log() directly; so the adapter opens a `collecting(logs)` scope around Setup and
`zap_warn` appends there (as ParseWarning, printed as zap JSON lines by the CLI). Outside such a
scope the warning goes to Python logging under Caddy's logger name.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator

_current: ContextVar[list[Any] | None] = ContextVar("caddy_adapter_logs", default=None)


@contextmanager
def collecting(logs: list[Any]) -> Iterator[list[Any]]:
    token = _current.set(logs)
    try:
        yield logs
    finally:
        _current.reset(token)


def zap_warn(message: str, logger: str = "", **fields: Any) -> None:
    from caddy_py.caddyfile.warnings import ParseWarning

    logs = _current.get()
    if logs is not None:
        logs.append(ParseWarning(message, logger, dict(fields)))
    else:
        logging.getLogger(logger or "caddy").warning(message)
