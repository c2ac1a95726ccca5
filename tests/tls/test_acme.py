"""ACME issuance against Pebble (Let's Encrypt's test CA) on loopback: HTTP-01 and TLS-ALPN-01,
the certificate served and stored, the account kept in storage.

Pebble is a test tool installed by .ci/run (`go install github.com/letsencrypt/pebble/v2/cmd/
pebble@v2.7.0`); these tests skip when it is not on PATH, in $GOBIN or in $(go env GOPATH)/bin.
"""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, AsyncIterator

import pytest

from caddy_py.config.loading import config_from_bytes
from tests.tls.conftest import free_port, ScratchCA, client_context, https_get, ports


def pebble_binary() -> str | None:
    found = shutil.which("pebble")
    if found:
        return found
    dirs = [os.environ.get("GOBIN", ""), os.path.expanduser("~/go/bin")]
    go = shutil.which("go")
    if go:
        try:
            dirs.append(os.path.join(subprocess.run([go, "env", "GOPATH"], capture_output=True, text=True,
                                                    timeout=30).stdout.strip(), "bin"))
        except (OSError, subprocess.SubprocessError):
            pass
    for d in dirs:
        if d and os.access(os.path.join(d, "pebble"), os.X_OK):
            return os.path.join(d, "pebble")
    return None


class Pebble:
    def __init__(self, port: int, mgmt: int, ca_pem: Path) -> None:
        self.dir = f"https://localhost:{port}/dir"
        self.mgmt = mgmt
        self.ca_pem = ca_pem

    def issuing_root(self) -> bytes:
        ctx = ssl.create_default_context(cafile=str(self.ca_pem))
        with urllib.request.urlopen(f"https://localhost:{self.mgmt}/roots/0", context=ctx, timeout=10) as r:
            return r.read()


@pytest.fixture
async def pebble(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Start Pebble validating challenges on the given (http, https) ports."""
    binary = pebble_binary()
    if binary is None:
        pytest.skip("pebble is not installed (go install github.com/letsencrypt/pebble/v2/cmd/pebble@v2.7.0)")
    procs: list[asyncio.subprocess.Process] = []
    ca = ScratchCA(tmp_path, "Pebble Front CA")
    crt, key = ca.issue(["localhost"], "pebble-front")

    async def start(http_port: int, https_port: int, eab: dict[str, str] | None = None) -> Pebble:
        port, mgmt = free_port(), free_port()
        cfg = tmp_path / "pebble.json"
        cfg.write_text(json.dumps({"pebble": {
            "listenAddress": f"127.0.0.1:{port}", "managementListenAddress": f"127.0.0.1:{mgmt}",
            "certificate": str(crt), "privateKey": str(key), "httpPort": http_port, "tlsPort": https_port,
            "ocspResponderURL": "", "externalAccountBindingRequired": eab is not None,
            "externalAccountMACKeys": eab or {}, "retryAfter": {"authz": 1, "order": 1}}}))
        env = dict(os.environ, PEBBLE_VA_NOSLEEP="1", PEBBLE_WFE_NONCEREJECT="0", PEBBLE_AUTHZREUSE="0")
        proc = await asyncio.create_subprocess_exec(binary, "-config", str(cfg), env=env,
                                                    stdout=asyncio.subprocess.PIPE,
                                                    stderr=asyncio.subprocess.STDOUT)
        procs.append(proc)
        assert proc.stdout is not None

        async def ready() -> None:
            while True:
                line = await proc.stdout.readline()  # type: ignore[union-attr]
                if not line:
                    raise RuntimeError("pebble exited before serving")
                if b"ACME directory available at" in line:
                    break
            # pebble logs that line just before it starts listening: connect until it accepts
            while True:
                try:
                    _, w = await asyncio.open_connection("127.0.0.1", port)
                except ConnectionRefusedError:
                    await asyncio.sleep(0)
                    continue
                w.close()
                return

        await asyncio.wait_for(ready(), 30)
        return Pebble(port, mgmt, ca.pem_path)

    yield start
    for p in procs:
        p.terminate()
        await p.wait()


EAB_KID = "kid-1"
EAB_MAC = "zWNDZM6eQGHWpSRTPal5eIUYFTu7EajVIoguysqZ9wG44nMEtx3MUAsUDkMTQ12W"


def site(http_port: int, https_port: int, peb: Pebble, challenge_off: str, options: str = "") -> dict[str, Any]:
    text = (f"{{\n\thttp_port {http_port}\n\thttps_port {https_port}\n\tadmin off\n{options}}}\n"
            f"localhost {{\n\tbind 127.0.0.1\n\ttls {{\n\t\tissuer acme {{\n\t\t\tdir {peb.dir}\n"
            f"\t\t\ttrusted_roots {peb.ca_pem}\n\t\t\temail test@example.com\n\t\t\t{challenge_off}\n"
            f"\t\t}}\n\t}}\n\trespond \"acme ok\"\n}}\n")
    return config_from_bytes(text.encode(), "caddyfile")


@pytest.mark.parametrize("challenge_off", ["disable_tlsalpn_challenge", "disable_http_challenge"],
                         ids=["http-01", "tls-alpn-01"])
async def test_acme_issuance_with_pebble(runtime, pebble, data_home: Path, challenge_off: str,
                                         caplog: pytest.LogCaptureFixture) -> None:
    hp, sp = free_port(), free_port()
    peb = await pebble(hp, sp)
    rt = await runtime(site(hp, sp, peb, challenge_off))
    assert ports(rt) == [sp]
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    results = await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 60)
    errors = [getattr(r, "caddy_fields", {}).get("error") for r in caplog.records if r.name == "tls.obtain"]
    assert all(r is not None for r in results), f"issuance failed: {errors}"
    root = await asyncio.get_running_loop().run_in_executor(None, peb.issuing_root)
    status, body, obj = await https_get(sp, "localhost", client_context(cadata=root))
    assert (status, body) == (200, "acme ok")
    stored = data_home / "certificates" / f"localhost-{peb.dir.split(':')[2].split('/')[0]}-dir" / "localhost"
    assert (stored / "localhost.crt").is_file() and (stored / "localhost.key").is_file()
    users = list((data_home / "acme").glob("*/users/test@example.com/account.key"))
    assert len(users) == 1


async def test_acme_external_account_binding(runtime, pebble, data_home: Path,
                                             caplog: pytest.LogCaptureFixture) -> None:
    hp, sp = free_port(), free_port()
    peb = await pebble(hp, sp, eab={EAB_KID: EAB_MAC})
    # without EAB the CA refuses the account: reported, retried later, the server keeps running
    rt = await runtime(site(hp, sp, peb, "disable_tlsalpn_challenge"))
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    assert await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 60) == [None]
    errors = [getattr(r, "caddy_fields", {}).get("error", "") for r in caplog.records if r.name == "tls.obtain"]
    assert any("externalAccountRequired" in e or "external account" in e.lower() for e in errors), errors
    assert manager.failures == {"localhost": 1}
    # with EAB (`eab KID MAC` in the issuer block) the account is bound and the certificate issued
    await rt.load(site(hp, sp, peb, f"disable_tlsalpn_challenge\n\t\t\teab {EAB_KID} {EAB_MAC}"))
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    results = await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 60)
    assert len(results) == 1 and results[0] is not None
    root = await asyncio.get_running_loop().run_in_executor(None, peb.issuing_root)
    status, body, _ = await https_get(sp, "localhost", client_context(cadata=root))
    assert (status, body) == (200, "acme ok")


async def test_http01_without_an_http_server(runtime, pebble, data_home: Path) -> None:
    """No redirect server on the HTTP port: a temporary challenge listener answers HTTP-01."""
    hp, sp = free_port(), free_port()
    peb = await pebble(hp, sp)
    rt = await runtime(site(hp, sp, peb, "disable_tlsalpn_challenge", "\tauto_https disable_redirects\n"))
    assert "remaining_auto_https_redirects" not in rt.current.http_ports()  # type: ignore[union-attr]
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    results = await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 60)
    assert len(results) == 1 and results[0] is not None
    with pytest.raises(OSError):  # the challenge listener is gone again
        await asyncio.open_connection("127.0.0.1", hp)
