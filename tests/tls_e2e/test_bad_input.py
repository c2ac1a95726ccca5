"""Bad TLS input given to `caddy-py run`: a missing, unreadable or mismatched certificate, or an
ACME server nobody answers at, is a clear error log line naming the site, and the other site in
the same config keeps serving. (Real Caddy refuses the whole config for the file cases; the issue
asks caddy-py to keep the rest serving.)"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.tls.conftest import client_context, https_get
from tests.tls_e2e.conftest import CaddyPy, ScratchCA, eventually, free_port, globals_block

pytestmark = pytest.mark.timeout(60)
BAD, GOOD = "bad.e2e.test", "good.e2e.test"


async def start_with_bad_site(caddy_py, tmp_path: Path, bad_tls: str) -> tuple[CaddyPy, ScratchCA, int]:
    ca = ScratchCA(tmp_path)
    crt, key = ca.issue([GOOD], "good")
    hp, sp = free_port(), free_port()
    c = caddy_py(globals_block(hp, sp)
                 + f"{BAD} {{\n\tbind 127.0.0.1\n\t{bad_tls}\n\trespond \"bad\"\n}}\n"
                 + f"{GOOD} {{\n\tbind 127.0.0.1\n\ttls {crt} {key}\n\trespond \"good\"\n}}\n")
    await c.wait_port(sp)
    return c, ca, sp


async def assert_good_site_serves(c: CaddyPy, ca: ScratchCA, sp: int) -> None:
    status, body, _ = await eventually(lambda: https_get(sp, GOOD, client_context(cafile=ca.pem_path)))
    assert (status, body) == (200, "good")
    assert c.proc.poll() is None
    assert "Traceback" not in c.stderr()


def bad_files(tmp_path: Path, case: str) -> tuple[Path, Path, str]:
    """(certificate, key, what the error must say) for one kind of broken file pair."""
    ca = ScratchCA(tmp_path, "Bad Site CA")
    crt, key = ca.issue([BAD], "bad")
    _, other_key = ca.issue([BAD], "other")
    if case == "missing":
        return tmp_path / "absent.crt", key, "no such file or directory"
    if case == "directory":
        return tmp_path, key, "is a directory"
    if case == "not PEM":
        crt.write_text("this is not a certificate\n")
        return crt, key, "failed to find any pem data in certificate input"
    if case == "unreadable":
        if os.geteuid() == 0:
            pytest.skip("root reads files whatever their mode (the directory case covers unreadable)")
        crt.chmod(0)
        return crt, key, "permission denied"
    return crt, other_key, "private key does not match public key"


@pytest.mark.parametrize("case", ["missing", "directory", "unreadable", "not PEM", "mismatched key"])
async def test_broken_certificate_files(caddy_py, tmp_path: Path, case: str) -> None:
    crt, key, wording = bad_files(tmp_path, case)
    c, ca, sp = await start_with_bad_site(caddy_py, tmp_path, f"tls {crt} {key}")
    line = await c.wait_log(f"site {BAD} has no certificate")
    assert '"level":"error"' in line and wording in line.lower() and str(crt) in c.stderr()
    await assert_good_site_serves(c, ca, sp)
    with pytest.raises((OSError, ConnectionError)):  # ssl.SSLError is an OSError
        await https_get(sp, BAD, client_context(cafile=ca.pem_path))


async def test_unreachable_acme_server(caddy_py, tmp_path: Path) -> None:
    dead = free_port()  # nothing listens here
    c, ca, sp = await start_with_bad_site(
        caddy_py, tmp_path, f"tls {{\n\t\tissuer acme {{\n\t\t\tdir http://127.0.0.1:{dead}/directory\n\t\t}}\n\t}}")
    line = await c.wait_log("could not get certificate from issuer")
    assert '"level":"error"' in line and f'"identifier":"{BAD}"' in line, c.stderr()
    assert f'Get \\"http://127.0.0.1:{dead}/directory\\": connection refused' in line, line
    await assert_good_site_serves(c, ca, sp)
