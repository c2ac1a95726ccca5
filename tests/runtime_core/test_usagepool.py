"""The usage pool: reference counting, one construction per key, destruct on the last delete."""
from __future__ import annotations

import asyncio

import pytest

from caddy_py.config.usagepool import UsagePool


class Thing:
    def __init__(self, name: str) -> None:
        self.name = name
        self.destroyed = 0

    async def destruct(self) -> None:
        self.destroyed += 1


async def test_refcount_and_destruct():
    p = UsagePool("t")
    a, loaded = await p.load_or_new("k", lambda: Thing("a"))
    assert not loaded
    b, loaded = await p.load_or_new("k", lambda: Thing("b"))
    assert loaded and b is a
    assert p.references("k") == (2, True)
    assert await p.delete("k") is False and a.destroyed == 0
    assert await p.delete("k") is True and a.destroyed == 1
    assert p.references("k") == (0, False)
    assert await p.delete("k") is False


async def test_concurrent_async_constructor_runs_once():
    p = UsagePool("t")
    calls = 0
    release = asyncio.Event()

    async def build() -> Thing:
        nonlocal calls
        calls += 1
        await release.wait()
        return Thing("x")

    t1 = asyncio.create_task(p.load_or_new("k", build))
    t2 = asyncio.create_task(p.load_or_new("k", build))
    await asyncio.sleep(0)  # let both tasks reach the pool (no timing involved: one loop turn)
    release.set()
    (v1, l1), (v2, l2) = await asyncio.gather(t1, t2)
    assert calls == 1 and v1 is v2 and (l1, l2) == (False, True)
    assert p.references("k") == (2, True)


async def test_failed_constructor_stores_nothing():
    p = UsagePool("t")

    async def boom() -> Thing:
        raise OSError("nope")

    with pytest.raises(OSError):
        await p.load_or_new("k", boom)
    assert p.references("k") == (0, False)
    v, loaded = await p.load_or_new("k", lambda: Thing("ok"))
    assert v.name == "ok" and not loaded


async def test_load_or_store_and_sync_destruct():
    p = UsagePool("t")
    closed = []

    class Sync:
        def destruct(self) -> None:
            closed.append(True)

    v = Sync()
    assert p.load_or_store("k", v) == (v, False)
    assert p.load_or_store("k", Sync()) == (v, True)
    await p.delete("k")
    await p.delete("k")
    assert closed == [True]
