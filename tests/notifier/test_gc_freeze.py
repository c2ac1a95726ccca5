"""The notifier's freeze policy (gcfreeze.py): subscribers leave the collected generations, and
whatever a freeze catches that later dies in a cycle is released again, so nothing leaks."""
from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any, Iterator

import pytest
import uvloop

from caddy_py.config.runtime import Runtime
from caddy_py.config import gcfreeze
from caddy_py.modules.websocket_notifier import handler, notifier
from caddy_py.config.gcfreeze import FreezePolicy
from caddy_py.modules.websocket_notifier.hub import HOUSEKEEPING_INTERVAL
from caddy_py.modules.websocket_notifier.session import Session

from .conftest import TIMEOUT, Backend
from .test_gc_cycles import RawSubscriber, config, served


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Whatever a test froze is back in the collected generations afterwards."""
    yield
    gc.unfreeze()


class Cyclic:
    """Garbage only the collector can free: it refers to itself."""

    def __init__(self) -> None:
        self.me = self


def frozen_garbage() -> weakref.ref[Cyclic]:
    """A cycle that is alive when frozen and dies after; the weak reference tells when it is freed."""
    obj = Cyclic()
    ref = weakref.ref(obj)
    gc.freeze()
    del obj
    return ref


def test_a_freeze_follows_a_full_collection_every_freeze_every_joins() -> None:
    p = FreezePolicy(freeze_every=3)
    dead = Cyclic()  # garbage when the freeze comes: collected first, never frozen
    ref = weakref.ref(dead)
    del dead
    p.joined()
    p.joined()
    assert p.freezes == 0 and ref() is not None
    p.joined()
    assert p.freezes == 1 and p.frozen and p.frozen_live == 3
    assert ref() is None
    assert gc.get_freeze_count() > 0


def test_frozen_cycles_are_freed_after_a_config_change() -> None:
    p = FreezePolicy(freeze_every=3, settle=10.0)
    p.config_changed(100.0)  # the start-up config, route by route, is frozen at once
    p.config_changed(100.0)
    assert p.frozen and p.freezes == 2 and p.releases == 1
    p.joined()
    ref = frozen_garbage()
    gc.collect()
    assert ref() is not None  # frozen: the hazard the policy bounds
    p.config_changed(200.0)  # a reload
    assert not p.frozen and p.releases == 2
    gc.collect()
    assert ref() is None
    p.tick(205.0)
    assert not p.frozen  # the old config may still be stopping
    p.tick(210.0)
    assert p.frozen and p.freezes == 3


def test_frozen_cycles_are_freed_after_a_mass_disconnect() -> None:
    p = FreezePolicy(freeze_every=4)
    for _ in range(8):
        p.joined()
    assert p.freezes == 2 and p.frozen_live == 8
    ref = frozen_garbage()
    for _ in range(6):
        p.left()
    assert p.releases == 0 and ref() is not None  # 2 of 8 left: not yet under a quarter
    p.left()  # 1 of 8 left
    assert p.releases == 1 and p.freezes == 3 and p.frozen_live == 1
    assert ref() is None


def test_frozen_cycles_are_freed_under_churn() -> None:
    p = FreezePolicy(freeze_every=4, churn=2)
    for _ in range(4):
        p.joined()
    ref = frozen_garbage()
    for _ in range(3):  # one stays; the other three keep reconnecting
        for _ in range(3):
            p.left()
        for _ in range(3):
            p.joined()
    # the 2nd round reached churn x max(live, freeze_every) = 8 joins since the last release
    assert p.releases == 1 and p.freezes == 3
    assert ref() is None


def tracked() -> int:
    return len(gc.get_objects()) + gc.get_freeze_count()


def test_subscribers_in_rounds_are_frozen_and_leave_nothing_behind(monkeypatch) -> None:
    policy = FreezePolicy(freeze_every=20)
    monkeypatch.setattr(notifier, "GC_POLICY", policy)
    monkeypatch.setattr(handler, "GC_POLICY", policy)
    per_round = 60

    async def round_trip(port: int, backend: Backend) -> None:
        subs = []
        for i in range(per_round):
            sub = await RawSubscriber.open(port)
            await sub.subscribe(backend, f"r{i}")
            subs.append(sub)
        sessions = handler.NOTIFIERS.get(backend.url).sessions
        assert len(sessions) == per_round
        collected = sum(1 for o in gc.get_objects() if type(o) is Session)
        assert collected < policy.freeze_every, "subscribers are frozen, out of the collector's walks"
        gone = asyncio.Event()
        freed: list[Any] = []

        def cb(_: Any) -> None:
            freed.append(1)
            if len(freed) == per_round:
                gone.set()
        refs = [weakref.ref(s.transport, cb) for s in sessions]
        del sessions
        for sub in subs:
            await sub.close()
        await asyncio.wait_for(gone.wait(), TIMEOUT)
        assert all(r() is None for r in refs)
        n = handler.NOTIFIERS.get(backend.url)
        n.clock_offset += HOUSEKEEPING_INTERVAL  # the hub drops the detached subscriptions
        n.tick()
        assert not n.hub.subs

    async def body(port: int, backend: Backend, _: Runtime) -> None:
        assert policy.freezes == 1  # the start-up config
        await round_trip(port, backend)  # warm-up: first-use caches
        gc.collect()
        baseline = tracked()
        for n in range(3):
            freezes = policy.freezes
            await round_trip(port, backend)
            assert policy.freezes >= freezes + per_round // policy.freeze_every
            assert policy.live == 0
            gc.collect()
            grown = tracked() - baseline
            assert grown < per_round, f"round {n}: {grown} more tracked objects than before it"
        assert policy.frozen
        releases.append(policy.releases)

    releases: list[int] = []
    uvloop.run(served(body))
    assert policy.releases == releases[0] + 1 and not policy.frozen  # the route's cleanup released it


def test_a_reload_releases_the_frozen_set_and_it_is_frozen_again_once_settled(monkeypatch) -> None:
    policy = FreezePolicy(freeze_every=10, settle=0.0)
    monkeypatch.setattr(notifier, "GC_POLICY", policy)
    monkeypatch.setattr(handler, "GC_POLICY", policy)

    async def body(port: int, backend: Backend, rt: Runtime) -> None:
        subs = []
        for i in range(10):
            sub = await RawSubscriber.open(port)
            await sub.subscribe(backend, f"r{i}")
            subs.append(sub)
        assert policy.frozen and policy.freezes == 2  # start-up, then 10 joins
        await rt.load(config(backend.url))  # the same route: hub, link and subscribers carry over
        assert not policy.frozen and policy.releases == 1
        await asyncio.wait_for(asyncio.gather(*list(rt.stopping)), TIMEOUT)  # the old config is gone
        n = handler.NOTIFIERS.get(backend.url)
        n.tick()  # the scheduler's tick after `settle`
        assert policy.frozen and policy.freezes == 3
        assert len(n.sessions) == 10
        assert not [o for o in gc.get_objects() if type(o) is Session]
        for sub in subs:
            await sub.close()

    uvloop.run(served(body))


def test_the_module_policy_is_shared_by_the_hooks() -> None:
    assert notifier.GC_POLICY is gcfreeze.POLICY is handler.GC_POLICY
