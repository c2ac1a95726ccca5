"""On-demand TLS: the first handshake for a name asks the `ask` endpoint, then gets a certificate
from the policy's issuer (here the local CA); denied names fail the handshake."""
from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from caddy_py.config.context import ConfigError
from tests.tls.conftest import client_context, https_get, ports


@pytest.fixture
async def ask_server() -> Any:
    asked: list[str] = []

    async def ask(request: web.Request) -> web.Response:
        domain = request.query.get("domain", "")
        asked.append(domain)
        return web.Response(status=200 if domain.startswith("yes.") else 403)

    app = web.Application()
    app.router.add_get("/ask", ask)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/ask", asked
    await runner.cleanup()


def config(ask: str | None) -> dict[str, Any]:
    auto: dict[str, Any] = {"policies": [{"issuers": [{"module": "internal"}], "on_demand": True}]}
    if ask:
        auto["on_demand"] = {"permission": {"module": "http", "endpoint": ask}}
    return {"admin": {"disabled": True}, "apps": {
        "http": {"servers": {"srv0": {"listen": ["127.0.0.1:0"], "tls_connection_policies": [{}],
                                      "routes": [{"handle": [{"handler": "static_response",
                                                              "body": "{http.request.host}"}]}]}}},
        "tls": {"automation": auto}}}


async def test_on_demand_asks_then_issues(runtime, data_home: Path, ask_server: Any) -> None:
    url, asked = ask_server
    rt = await runtime(config(url))
    root = data_home / "pki" / "authorities" / "local" / "root.crt"
    status, body, obj = await https_get(ports(rt)[0], "yes.example", client_context(root))
    assert (status, body) == (200, "yes.example")
    assert asked == ["yes.example"]
    assert (data_home / "certificates" / "local" / "yes.example" / "yes.example.crt").is_file()
    await https_get(ports(rt)[0], "yes.example", client_context(root))
    assert asked == ["yes.example"]  # managed now: not asked again
    ctx = client_context(root)
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await https_get(ports(rt)[0], "no.example", ctx)
    assert asked[-1] == "no.example"
    assert not (data_home / "certificates" / "local" / "no.example").exists()


async def test_on_demand_public_issuer_needs_permission(runtime, data_home: Path) -> None:
    cfg = config(None)
    cfg["apps"]["tls"]["automation"]["policies"][0]["issuers"] = [{"module": "acme"}]
    with pytest.raises(ConfigError, match="on-demand TLS cannot be enabled without a permission module"):
        await runtime(cfg)
