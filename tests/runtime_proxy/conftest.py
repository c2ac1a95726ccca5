"""Fixtures for reverse_proxy / encode / file_server runtime tests."""
from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from .harness import Site, start_site, start_upstream


@pytest.fixture
async def client() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(auto_decompress=False) as s:
        yield s


@pytest.fixture
async def site() -> AsyncIterator[Callable[[list[dict[str, Any]]], Awaitable[Site]]]:
    started: list[Site] = []

    async def make(cfgs: list[dict[str, Any]]) -> Site:
        s = await start_site(cfgs)
        started.append(s)
        return s

    yield make
    for s in started:
        await s.close()


@pytest.fixture
async def upstream() -> AsyncIterator[Callable[..., Awaitable[int]]]:
    runners: list[web.AppRunner] = []

    async def make(handler: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
                   routes: Callable[[web.Application], None] | None = None) -> int:
        runner, port = await start_upstream(routes=routes, handler=handler)
        runners.append(runner)
        return port

    yield make
    for r in runners:
        await r.cleanup()
