"""TLS to the upstream: a CA and server certificate made with the openssl CLI at test time."""
from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl CLI")


def make_certs(d: Path) -> tuple[Path, Path, Path]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    (d / "ext.cnf").write_text("subjectAltName=DNS:upstream.test,IP:127.0.0.1\n"
                               "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
                               "extendedKeyUsage=serverAuth\n")
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test ca")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=upstream.test")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf")
    return d / "ca.pem", d / "srv.pem", d / "srv.key"


@pytest.fixture
async def tls_upstream(tmp_path: Path):
    ca, cert, key = make_certs(tmp_path)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text=f"tls {request.secure} {request.headers.get('X-Forwarded-Proto')}")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            await sock.send_str("tls echo " + msg.data)
        return sock

    app = web.Application()
    app.router.add_get("/", hello)
    app.router.add_get("/ws", ws)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
    await site.start()
    yield site._server.sockets[0].getsockname()[1], ca  # type: ignore[union-attr]
    await runner.cleanup()


def rp(port: int, tls: dict) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}],
            "transport": {"protocol": "http", "tls": tls}}


async def test_trust_pool_and_server_name(site, client, tls_upstream):
    port, ca = tls_upstream
    s = await site([rp(port, {"root_ca_pem_files": [str(ca)], "server_name": "upstream.test"})])
    async with client.get(s.url) as r:
        assert r.status == 200 and await r.text() == "tls True http"
    pool = await site([rp(port, {"ca": {"provider": "file", "pem_files": [str(ca)]}})])
    async with client.get(pool.url) as r:
        assert r.status == 200


async def test_untrusted_certificate_is_502(site, client, tls_upstream):
    port, _ = tls_upstream
    s = await site([rp(port, {})])
    async with client.get(s.url) as r:
        assert r.status == 502


async def test_insecure_skip_verify(site, client, tls_upstream):
    port, _ = tls_upstream
    s = await site([rp(port, {"insecure_skip_verify": True})])
    async with client.get(s.url) as r:
        assert r.status == 200


async def test_websocket_to_a_tls_upstream(site, client, tls_upstream):
    port, ca = tls_upstream
    s = await site([rp(port, {"root_ca_pem_files": [str(ca)], "server_name": "upstream.test"})])
    async with client.ws_connect(s.url + "/ws") as sock:
        await sock.send_str("x")
        assert (await asyncio.wait_for(sock.receive(), 5)).data == "tls echo x"
