"""ACME issuance from Pebble through `caddy-py run` (the in-process tests in tests/tls/test_acme.py
drive a Runtime): each challenge alone, then the served certificate checked with Python ssl and
curl against Pebble's issuing root. Skips when pebble is not installed."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.tls.conftest import client_context, https_get
from tests.tls.test_acme import pebble  # noqa: F401  (the fixture that starts Pebble)
from tests.tls_e2e.conftest import eventually, free_port, globals_block, run_curl

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize("challenge_off", ["disable_tlsalpn_challenge", "disable_http_challenge"],
                         ids=["http-01", "tls-alpn-01"])
async def test_pebble_issues_through_caddy_py_run(caddy_py, pebble, curl, tmp_path: Path,  # noqa: F811
                                                  challenge_off: str) -> None:
    hp, sp = free_port(), free_port()
    peb = await pebble(hp, sp)
    c = caddy_py(globals_block(hp, sp) + (
        f"localhost {{\n\tbind 127.0.0.1\n\ttls {{\n\t\tissuer acme {{\n\t\t\tdir {peb.dir}\n"
        f"\t\t\ttrusted_roots {peb.ca_pem}\n\t\t\temail e2e@example.com\n\t\t\t{challenge_off}\n"
        "\t\t}\n\t}\n\trespond \"acme ok\"\n}\n"))
    await c.wait_port(sp)
    await c.wait_log("certificate obtained successfully", timeout=45)
    root = await asyncio.get_running_loop().run_in_executor(None, peb.issuing_root)
    status, body, _ = await eventually(lambda: https_get(sp, "localhost", client_context(cadata=root)))
    assert (status, body) == (200, "acme ok")
    (tmp_path / "pebble-root.pem").write_bytes(root)
    code, out, err = await run_curl(curl, "--cacert", str(tmp_path / "pebble-root.pem"),
                                    "--resolve", f"localhost:{sp}:127.0.0.1", f"https://localhost:{sp}/")
    assert (code, out) == (0, "acme ok"), err
    assert "could not get certificate" not in c.stderr()
