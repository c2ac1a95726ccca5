"""caddy-py's own ACME issuer (`tls { issuer acme { dir ... } }` in a `caddy-py run` process)
gets its certificate from another caddy-py serving `acme_server`, over http-01 and tls-alpn-01,
then serves HTTPS with it, trusted through the acme_server CA's root only."""
from __future__ import annotations

from pathlib import Path

import pytest

from caddy_py.config.loading import config_from_bytes
from caddy_py.modules.acme_server import state
from tests.tls.conftest import client_context, free_port, https_get
from tests.tls_e2e.conftest import caddy_py, eventually, globals_block  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(autouse=True)
def _fresh_acme_state() -> None:
    state.STORES.clear()


async def _acme_ca(runtime, store: Path) -> str:
    sp, hp = free_port(), free_port()
    text = (f"{{\n\tadmin off\n\tskip_install_trust\n\tstorage file_system {store}\n"
            f"\thttp_port {hp}\n\thttps_port {sp}\n}}\n"
            "localhost {\n\tbind 127.0.0.1\n\ttls internal\n\tacme_server\n}\n")
    await runtime(config_from_bytes(text.encode(), "caddyfile"))
    return f"https://localhost:{sp}/acme/local/directory"


@pytest.mark.parametrize("challenge_off", ["disable_tlsalpn_challenge", "disable_http_challenge"],
                         ids=["http-01", "tls-alpn-01"])
async def test_caddy_py_issuer_gets_a_certificate_from_caddy_py_acme_server(
        runtime, caddy_py, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, challenge_off: str) -> None:  # noqa: F811
    store = tmp_path / "ca-storage"
    directory = await _acme_ca(runtime, store)
    root = store / "pki/authorities/local/root.crt"
    hp, sp = free_port(), free_port()
    # the acme_server validates on the client's ports (80 and 443 outside tests)
    monkeypatch.setenv("CADDY_PY_ACME_SERVER_HTTP_PORT", str(hp))
    monkeypatch.setenv("CADDY_PY_ACME_SERVER_TLS_PORT", str(sp))
    client = caddy_py(globals_block(hp, sp) + (
        f"localhost {{\n\tbind 127.0.0.1\n\ttls {{\n\t\tissuer acme {{\n\t\t\tdir {directory}\n"
        f"\t\t\ttrusted_roots {root}\n\t\t\t{challenge_off}\n\t\t}}\n\t}}\n"
        "\trespond \"issued by caddy-py\"\n}\n"))
    await client.wait_port(sp)
    await client.wait_log("certificate obtained successfully", timeout=45)
    status, body, sslobj = await eventually(lambda: https_get(sp, "localhost", client_context(cafile=root)))
    assert (status, body) == (200, "issued by caddy-py")
    assert "could not get certificate" not in client.stderr()
