"""TLS sites served by `caddy-py run`, checked with real clients (Python ssl and curl --cacert):
`tls internal`, certificate files, mTLS, the HTTP->HTTPS redirect and SNI between two certs."""
from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from tests.tls.conftest import client_context, https_get
from tests.tls_e2e.conftest import ScratchCA, eventually, free_port, globals_block, run_curl

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
    status, body, sslobj = await eventually(lambda: https_get(sp, "e2e.internal.test", client_context(cafile=root)))
    assert (status, body) == (200, "internal ok")
    assert "e2e.internal.test" in str(sslobj.getpeercert()["subjectAltName"])
    code, out, err = await run_curl(curl, "--cacert", str(root), "--resolve", f"e2e.internal.test:{sp}:127.0.0.1",
                                    f"https://e2e.internal.test:{sp}/")
    assert (code, out) == (0, "internal ok"), err
    # without the local root the same curl must refuse the certificate
    code, out, err = await run_curl(curl, "--resolve", f"e2e.internal.test:{sp}:127.0.0.1",
                                    f"https://e2e.internal.test:{sp}/")
    assert code != 0 and out == "", err


async def test_cert_files_sni_and_redirect(caddy_py, curl, tmp_path: Path) -> None:
    ca = ScratchCA(tmp_path)
    a_crt, a_key = ca.issue(["a.e2e.test"], "a")
    b_crt, b_key = ca.issue(["b.e2e.test"], "b")
    hp, sp = free_port(), free_port()
    c = caddy_py(globals_block(hp, sp)
                 + f"a.e2e.test {{\n\tbind 127.0.0.1\n\ttls {a_crt} {a_key}\n\trespond \"site a\"\n}}\n"
                 + f"b.e2e.test {{\n\tbind 127.0.0.1\n\ttls {b_crt} {b_key}\n\trespond \"site b\"\n}}\n")
    await c.wait_port(sp)
    await c.wait_port(hp)
    ctx = client_context(cafile=ca.pem_path)
    sites = (("a.e2e.test", "site a"), ("b.e2e.test", "site b"))
    for name, body in sites:
        status, got, sslobj = await https_get(sp, name, ctx)
        assert (status, got, cn_of(sslobj)) == (200, body, name)
    # plain HTTP on the http_port redirects to the HTTPS site, keeping the path and query; like
    # Caddy, no port is written when it is the configured https_port (an external redirect)
    reader, writer = await asyncio.open_connection("127.0.0.1", hp)
    writer.write(b"GET /p?q=1 HTTP/1.1\r\nHost: a.e2e.test\r\nConnection: close\r\n\r\n")
    head = (await asyncio.wait_for(reader.read(), 10)).split(b"\r\n\r\n")[0].decode().split("\r\n")
    writer.close()
    assert head[0].startswith("HTTP/1.1 308") and "Location: https://a.e2e.test/p?q=1" in head
    code, out, err = await run_curl(curl, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
                                    "--resolve", f"a.e2e.test:{hp}:127.0.0.1", f"http://a.e2e.test:{hp}/p?q=1")
    assert (code, out) == (0, "308 https://a.e2e.test/p?q=1"), err
    for name, body in sites:
        code, out, err = await run_curl(curl, "--cacert", str(ca.pem_path), "--resolve", f"{name}:{sp}:127.0.0.1",
                                        f"https://{name}:{sp}/")
        assert (code, out) == (0, body), err


async def test_mtls_requires_a_trusted_client_cert(caddy_py, curl, tmp_path: Path) -> None:
    ca = ScratchCA(tmp_path)
    crt, key = ca.issue(["m.e2e.test"], "server")
    client = ca.issue(["alice"], "alice", client=True)
    stranger = ScratchCA(tmp_path, "Other CA").issue(["mallory"], "mallory", client=True)
    hp, sp = free_port(), free_port()
    c = caddy_py(globals_block(hp, sp) + f"m.e2e.test {{\n\tbind 127.0.0.1\n\ttls {crt} {key} {{\n"
                 f"\t\tclient_auth {{\n\t\t\tmode require_and_verify\n\t\t\ttrust_pool file {ca.pem_path}\n\t\t}}\n"
                 "\t}\n\trespond \"hello {http.request.tls.client.subject}\"\n}\n")
    await c.wait_port(sp)
    status, body, _ = await https_get(sp, "m.e2e.test", client_context(cafile=ca.pem_path, cert=client))
    assert (status, body) == (200, "hello CN=alice")
    for cert in (None, stranger):
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await https_get(sp, "m.e2e.test", client_context(cafile=ca.pem_path, cert=cert))
    resolve = ("--cacert", str(ca.pem_path), "--resolve", f"m.e2e.test:{sp}:127.0.0.1")
    code, out, err = await run_curl(curl, *resolve, "--cert", str(client[0]), "--key", str(client[1]),
                                    f"https://m.e2e.test:{sp}/")
    assert (code, out) == (0, "hello CN=alice"), err
    code, out, err = await run_curl(curl, *resolve, f"https://m.e2e.test:{sp}/")
    assert code != 0 and out == "", (code, out, err)
