"""TLS sites served by `caddy-py run`, checked with real clients (Python ssl and curl --cacert):
`tls internal`, certificate files, mTLS, the HTTP->HTTPS redirect and SNI between two certs."""
from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from tests.tls.conftest import client_context, https_get
from tests.tls_e2e.conftest import ScratchCA, free_port, globals_block, run_curl

pytestmark = pytest.mark.timeout(60)


def cn_of(sslobj: ssl.SSLObject) -> str:
    cert = sslobj.getpeercert()
    assert cert is not None
    return dict(x[0] for x in cert["subject"])["commonName"]


async def test_tls_internal_hostname(caddy_py, curl, tmp_path: Path) -> None:
    hp, sp = free_port(), free_port()
    c = caddy_py(globals_block(hp, sp) + "e2e.internal.test {\n\tbind 127.0.0.1\n\ttls internal\n"
                 "\trespond \"internal ok\"\n}\n")
    await c.wait_port(sp)
    root = c.data / "pki" / "authorities" / "local" / "root.crt"
    assert root.is_file(), c.stderr()
    status, body, sslobj = await https_get(sp, "e2e.internal.test", client_context(cafile=root))
    assert (status, body) == (200, "internal ok")
    assert "e2e.internal.test" in str(sslobj.getpeercert()["subjectAltName"])
    code, out, err = await run_curl(curl, "--cacert", str(root), "--resolve", f"e2e.internal.test:{sp}:127.0.0.1",
                                    f"https://e2e.internal.test:{sp}/")
    assert (code, out) == (0, "internal ok"), err
    # without the local root the same curl must refuse the certificate
    code, out, err = await run_curl(curl, "--resolve", f"e2e.internal.test:{sp}:127.0.0.1",
                                    f"https://e2e.internal.test:{sp}/")
    assert code != 0 and out == "", err
