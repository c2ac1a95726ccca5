"""Reference-counted shared resources that outlive a single config load (Caddy's UsagePool).

A config reload builds the new modules *before* the old ones are cleaned up. Anything that must
survive that overlap (a listening socket, a notifier hub and its upstream link, passive health
state of an upstream) lives in a pool keyed by name: the new module takes a reference while the
old one still holds its own, then the old module's `cleanup()` drops its reference. The value is
destroyed only when the last reference goes.

Usage from a runtime module:

    from caddy_py.config.usagepool import pool

    HUBS = pool("websocket_notifier.hubs")          # process-wide, one per name

    async def provision(self, ctx):
        self.hub, loaded = await HUBS.load_or_new(self.upstream_url, lambda: Hub(...))

    async def cleanup(self):
        await HUBS.delete(self.upstream_url)

The constructor may be a plain function or a coroutine function. A value that has a
`destruct()` method (plain or async) gets it called when its count drops to zero.
Every `load_or_new`/`load_or_store` must be balanced by exactly one `delete` of the same key.
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Awaitable, Callable, Iterator


class _Entry:
    __slots__ = ("value", "refs", "ready")

    def __init__(self) -> None:
        self.value: Any = None
        self.refs = 0
        self.ready: asyncio.Event | None = None  # set while an async constructor runs


class UsagePool:
    def __init__(self, name: str = "") -> None:
        self.name = name
        self._entries: dict[Any, _Entry] = {}

    async def load_or_new(self, key: Any, construct: Callable[[], Any | Awaitable[Any]]) -> tuple[Any, bool]:
        """The value under `key` (one more reference), building it with `construct()` if absent.

        Returns (value, loaded): loaded is True when the value already existed.
        If the constructor raises, nothing is stored and the error propagates.
        """
        entry = self._entries.get(key)
        if entry is not None:
            entry.refs += 1
            if entry.ready is not None:
                await entry.ready.wait()
                if key not in self._entries or self._entries[key] is not entry:
                    # its constructor failed: try again as a fresh caller
                    entry.refs -= 1
                    return await self.load_or_new(key, construct)
            return entry.value, True
        entry = _Entry()
        entry.refs = 1
        self._entries[key] = entry
        value = construct()
        if inspect.isawaitable(value):
            entry.ready = asyncio.Event()
            try:
                value = await value
            except BaseException:
                del self._entries[key]
                entry.ready.set()
                raise
            entry.value = value
            ev, entry.ready = entry.ready, None
            ev.set()
        else:
            entry.value = value
        return value, False

    def load_or_store(self, key: Any, value: Any) -> tuple[Any, bool]:
        """Store `value` unless the key exists; either way take one reference."""
        entry = self._entries.get(key)
        if entry is not None and entry.ready is None:
            entry.refs += 1
            return entry.value, True
        if entry is not None:
            raise RuntimeError(f"usage pool {self.name}: {key!r} is still being constructed")
        entry = _Entry()
        entry.value, entry.refs = value, 1
        self._entries[key] = entry
        return value, False

    async def delete(self, key: Any) -> bool:
        """Drop one reference; destroy the value when none remain. True if it was destroyed."""
        entry = self._entries.get(key)
        if entry is None:
            return False
        entry.refs -= 1
        if entry.refs > 0:
            return False
        del self._entries[key]
        destruct = getattr(entry.value, "destruct", None)
        if destruct is not None:
            result = destruct()
            if inspect.isawaitable(result):
                await result
        return True

    def references(self, key: Any) -> tuple[int, bool]:
        entry = self._entries.get(key)
        return (entry.refs, True) if entry is not None else (0, False)

    def get(self, key: Any) -> Any:
        """The value without taking a reference (None if absent)."""
        entry = self._entries.get(key)
        return entry.value if entry is not None and entry.ready is None else None

    def items(self) -> Iterator[tuple[Any, Any]]:
        return ((k, e.value) for k, e in list(self._entries.items()) if e.ready is None)

    def __len__(self) -> int:
        return len(self._entries)


_POOLS: dict[str, UsagePool] = {}


def pool(name: str) -> UsagePool:
    """The process-wide pool called `name` (created on first use)."""
    p = _POOLS.get(name)
    if p is None:
        p = _POOLS[name] = UsagePool(name)
    return p
