"""`Runtime(gc_freeze=True)` (what `caddy-py run` uses) keeps the loaded config out of full
collections, and a reload lets the replaced config's cyclic garbage be collected."""
from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Iterator

import pytest

from caddy_py.config import gcfreeze
from caddy_py.config.runtime import Runtime
from tests.runtime_core.conftest import respond
from tests.runtime_core.diff import free_port
from tests.runtime_core.test_reload import config, get


@pytest.fixture(autouse=True)
def fresh_policy(monkeypatch: pytest.MonkeyPatch) -> Iterator[gcfreeze.FreezePolicy]:
    """A policy of the test's own, and nothing left frozen afterwards."""
    policy = gcfreeze.FreezePolicy()
    monkeypatch.setattr("caddy_py.config.runtime.GC_POLICY", policy)
    yield policy
    gc.unfreeze()


async def _stopped(rt: Runtime) -> None:
    if rt.stopping:
        await asyncio.wait_for(asyncio.gather(*rt.stopping), 10)


async def test_the_first_config_is_frozen_once_active(fresh_policy):
    gc.unfreeze()
    rt = Runtime(gc_freeze=True)
    rt.manage_admin = False
    port = free_port()
    try:
        await rt.load(config(port, [{"handle": [respond("one")]}]))
        assert fresh_policy.freezes == 1 and fresh_policy.frozen
        assert gc.get_freeze_count() > 0
        assert await get(port) == (200, "one")
    finally:
        await asyncio.wait_for(rt.stop(), 10)


async def test_a_reload_releases_the_old_config_and_freezes_once_it_has_stopped(fresh_policy):
    rt = Runtime(gc_freeze=True)
    rt.manage_admin = False
    port = free_port()
    try:
        old = await rt.load(config(port, [{"handle": [respond("one")]}]))
        old.cycle = old  # type: ignore[attr-defined]  # the replaced config dies in a cycle
        gone = weakref.ref(old)
        del old
        assert fresh_policy.freezes == 1
        await rt.load(config(port, [{"handle": [respond("two")]}]))
        assert fresh_policy.releases == 1
        await _stopped(rt)
        # the freeze that follows the old config's stop (a done callback of the stop task, run
        # before gather's) collected it first: not frozen, not leaked
        assert fresh_policy.freezes == 2 and fresh_policy.frozen
        assert gone() is None
        assert await get(port) == (200, "two")
    finally:
        await asyncio.wait_for(rt.stop(), 10)


async def test_in_process_runtimes_do_not_freeze(fresh_policy):
    gc.unfreeze()
    rt = Runtime()
    rt.manage_admin = False
    port = free_port()
    try:
        await rt.load(config(port, [{"handle": [respond("one")]}]))
        assert fresh_policy.freezes == 0 and gc.get_freeze_count() == 0
    finally:
        await asyncio.wait_for(rt.stop(), 10)
