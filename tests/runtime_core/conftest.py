"""Fixtures for the runtime core: an in-process caddy-py serving a JSON config on 127.0.0.1."""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable

import aiohttp
import pytest

from caddy_py.config.runtime import Runtime


def server_config(routes: list[dict[str, Any]], errors: list[dict[str, Any]] | None = None,
                  **http: Any) -> dict[str, Any]:
    """A one-server config listening on an ephemeral port of 127.0.0.1."""
    # plain HTTP even with host matchers (Caddy's automatic HTTPS would turn on TLS)
    srv: dict[str, Any] = {"listen": ["127.0.0.1:0"], "routes": routes, "automatic_https": {"disable": True}}
    if errors is not None:
        srv["errors"] = {"routes": errors}
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": srv}, **http}}}


class Served:
    """A running in-process config: `url(path)`, `get(path, **kw)` → (status, headers, body)."""

    def __init__(self, runtime: Runtime, session: aiohttp.ClientSession) -> None:
        self.runtime = runtime
        self.session = session

    @property
    def port(self) -> int:
        assert self.runtime.current is not None
        return self.runtime.current.http_ports()["srv0"][0]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def request(self, method: str, path: str, **kw: Any) -> tuple[int, Any, str]:
        async with self.session.request(method, self.url(path), allow_redirects=False, **kw) as r:
            return r.status, r.headers, await r.text()

    async def get(self, path: str, **kw: Any) -> tuple[int, Any, str]:
        return await self.request("GET", path, **kw)

    async def body(self, path: str, **kw: Any) -> str:
        return (await self.get(path, **kw))[2]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[dict[str, Any]], Awaitable[Served]]]:
    """`await serve(config)` loads the config in this process and returns a Served."""
    runtimes: list[Runtime] = []
    session = aiohttp.ClientSession()

    async def start(cfg: dict[str, Any]) -> Served:
        rt = Runtime()
        rt.manage_admin = "admin" in cfg and not cfg["admin"].get("disabled")
        runtimes.append(rt)
        await rt.load(cfg)
        return Served(rt, session)

    yield start
    await session.close()
    for rt in runtimes:
        await asyncio.wait_for(rt.stop(), 10)


def respond(body: str = "", status: int | str | None = None, **extra: Any) -> dict[str, Any]:
    h: dict[str, Any] = {"handler": "static_response", **extra}
    if body:
        h["body"] = body
    if status is not None:
        h["status_code"] = status
    return h


async def raw_http(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes, read until the server closes the connection."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        await writer.drain()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before taking all of an oversized request: read the answer
    try:
        return await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
