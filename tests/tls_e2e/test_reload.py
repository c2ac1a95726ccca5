"""A SIGHUP to `caddy-py run` that swaps a site's certificate without dropping an open
connection: a request in flight on a keep-alive HTTPS connection opened before the reload gets its
whole response after it, and new connections see the new certificate. As in Caddy (Go's
Server.Shutdown, checked against the real binary), an idle keep-alive connection of the old
config is closed cleanly rather than kept."""
from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from aiohttp import web

from tests.tls.conftest import client_context, https_get
from tests.tls_e2e.conftest import ScratchCA, eventually, free_port, globals_block

pytestmark = pytest.mark.timeout(60)
NAME = "reload.e2e.test"


def site(hp: int, sp: int, crt: Path, key: Path, body: str, upstream: int) -> str:
    return globals_block(hp, sp) + (f"{NAME} {{\n\tbind 127.0.0.1\n\ttls {crt} {key}\n"
                                    f"\treverse_proxy /slow 127.0.0.1:{upstream}\n\trespond / \"{body}\"\n}}\n")


def org_of(sslobj: ssl.SSLObject) -> str:
    cert = sslobj.getpeercert()
    assert cert is not None
    return dict(x[0] for x in cert["subject"])["organizationName"]


async def keepalive_get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> tuple[int, str]:
    """One request on an open connection, leaving it open: (status, body)."""
    writer.write(f"GET / HTTP/1.1\r\nHost: {NAME}\r\n\r\n".encode())
    await writer.drain()
    return await read_response(reader)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, str]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    lines = head.decode().split("\r\n")
    length = next(int(v) for k, _, v in (line.partition(":") for line in lines[1:]) if k.lower() == "content-length")
    body = await asyncio.wait_for(reader.readexactly(length), 10)
    return int(lines[0].split()[1]), body.decode()


async def test_sighup_swaps_certificate_keeping_open_connections(caddy_py, tmp_path: Path) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        arrived.set()
        await release.wait()
        return web.Response(text="upstream done")

    app = web.Application()
    app.router.add_get("/slow", slow)
    runner = web.AppRunner(app)
    await runner.setup()
    up = free_port()
    await web.TCPSite(runner, "127.0.0.1", up).start()

    ca = ScratchCA(tmp_path)
    old = ca.issue([NAME], "old", org="old cert")
    new = ca.issue([NAME], "new", org="new cert")
    hp, sp = free_port(), free_port()
    c = caddy_py(site(hp, sp, *old, "v1", up))
    await c.wait_port(sp)
    ctx = client_context(cafile=ca.pem_path)
    busy_r, busy_w = await eventually(lambda: asyncio.open_connection("127.0.0.1", sp, ssl=ctx, server_hostname=NAME))
    idle_r, idle_w = await asyncio.open_connection("127.0.0.1", sp, ssl=ctx, server_hostname=NAME)
    try:
        assert org_of(busy_w.get_extra_info("ssl_object")) == "old cert"
        assert await keepalive_get(busy_r, busy_w) == (200, "v1")
        assert await keepalive_get(idle_r, idle_w) == (200, "v1")
        # the busy connection's second request is held by the upstream across the reload
        busy_w.write(f"GET /slow HTTP/1.1\r\nHost: {NAME}\r\n\r\n".encode())
        await asyncio.wait_for(arrived.wait(), 10)

        c.write(site(hp, sp, *new, "v2", up))
        c.reload()

        async def new_cert_served() -> None:
            status, body, sslobj = await https_get(sp, NAME, ctx)
            assert (status, body, org_of(sslobj)) == (200, "v2", "new cert")
        await eventually(new_cert_served)

        release.set()
        assert await read_response(busy_r) == (200, "upstream done")
        assert await asyncio.wait_for(idle_r.read(), 10) == b""
    finally:
        busy_w.close()
        idle_w.close()
        await runner.cleanup()
    assert "Traceback" not in c.stderr()
