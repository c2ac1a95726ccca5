"""`tls internal` and automatic HTTPS: the local CA in Caddy's storage layout, leaves issued for
hostname sites, HTTP→HTTPS redirects, certificates kept across reloads and restarts, renewal."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import ssl
from pathlib import Path
from typing import Any

import pytest

from caddy_py.config.loading import config_from_bytes
from caddy_py.tls import automation
from tests.tls.conftest import free_port, client_context, https_get, ports


def caddyfile(body: str, http_port: int, https_port: int, options: str = "") -> dict[str, Any]:
    text = f"{{\n\thttp_port {http_port}\n\thttps_port {https_port}\n\tadmin off\n{options}}}\n{body}"
    return config_from_bytes(text.encode(), "caddyfile")


SITE = "foo.localhost, 127.0.0.1 {\n\tbind 127.0.0.1\n\trespond \"hello {http.request.scheme}\"\n}\n"


async def http_get(port: int, host: str, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    data = await asyncio.wait_for(reader.read(-1), 5)  # the redirect closes the connection
    writer.close()
    return data


def root_pem(data_home: Path) -> Path:
    return data_home / "pki" / "authorities" / "local" / "root.crt"


async def test_hostname_site_served_with_local_ca(runtime, data_home: Path) -> None:
    hp, sp = free_port(), free_port()
    rt = await runtime(caddyfile(SITE, hp, sp))
    assert ports(rt) == [sp]
    ctx = client_context(root_pem(data_home))  # the client trusts the root from storage
    status, body, obj = await https_get(sp, "foo.localhost", ctx)
    assert (status, body) == (200, "hello https")
    assert ("DNS", "foo.localhost") in obj.getpeercert()["subjectAltName"]
    stored = data_home / "certificates" / "local" / "foo.localhost"
    assert sorted(p.name for p in stored.iterdir()) == ["foo.localhost.crt", "foo.localhost.json",
                                                        "foo.localhost.key"]
    for f in ("root.crt", "root.key", "intermediate.crt", "intermediate.key"):
        assert (data_home / "pki" / "authorities" / "local" / f).is_file()
    # an IP site: no SNI, the certificate for the local address
    status, body, obj = await https_get(sp, "", ctx, host="127.0.0.1")
    assert status == 200 and ("IP Address", "127.0.0.1") in obj.getpeercert()["subjectAltName"]


async def test_http_redirects_to_https(runtime, data_home: Path) -> None:
    hp, sp = free_port(), free_port()
    rt = await runtime(caddyfile(SITE, hp, sp))
    assert rt.current is not None and "remaining_auto_https_redirects" in rt.current.http_ports()
    data = await http_get(hp, "foo.localhost", "/a/b?c=d")
    assert data.startswith(b"HTTP/1.1 308")
    # https_port is "the" HTTPS port for Caddy: the redirect does not name it
    assert b"\r\nLocation: https://foo.localhost/a/b?c=d\r\n" in data


async def test_disable_redirects_keeps_https(runtime, data_home: Path) -> None:
    hp, sp = free_port(), free_port()
    rt = await runtime(caddyfile(SITE, hp, sp, "\tauto_https disable_redirects\n"))
    assert rt.current is not None and "remaining_auto_https_redirects" not in rt.current.http_ports()
    status, _, _ = await https_get(sp, "foo.localhost", client_context(root_pem(data_home)))
    assert status == 200


async def test_auto_https_off_keeps_tls_without_certificates(runtime, data_home: Path) -> None:
    """As in Caddy: the adapter still gives the server a connection policy, but no certificate
    is managed, so handshakes fail and no redirect server exists."""
    hp, sp = free_port(), free_port()
    rt = await runtime(caddyfile(SITE, hp, sp, "\tauto_https off\n"))
    assert rt.current is not None and "remaining_auto_https_redirects" not in rt.current.http_ports()
    data = await http_get(sp, "foo.localhost", "/")
    assert data.startswith(b"HTTP/1.0 400 Bad Request")
    ctx = client_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await https_get(sp, "foo.localhost", ctx)
    assert not (data_home / "certificates").exists()


def serial(obj: Any) -> str:
    return obj.getpeercert()["serialNumber"]


async def test_reload_and_restart_keep_certificates(runtime, data_home: Path) -> None:
    hp, sp = free_port(), free_port()
    cfg = caddyfile(SITE, hp, sp)
    rt = await runtime(cfg)
    ctx = client_context(root_pem(data_home))
    first = serial((await https_get(sp, "foo.localhost", ctx))[2])
    await rt.load(cfg)  # reload: the pool and cache keep the certificate
    assert serial((await https_get(sp, "foo.localhost", ctx))[2]) == first
    await rt.stop()
    automation.MANAGED.by_name.clear()  # a new process: only storage remains
    automation.CAS.clear()
    root_before = root_pem(data_home).read_bytes()
    rt2 = await runtime(cfg)
    assert serial((await https_get(sp, "foo.localhost", ctx))[2]) == first
    assert root_pem(data_home).read_bytes() == root_before
    assert rt2 is not rt


async def test_renewal_in_window(runtime, data_home: Path, caplog: pytest.LogCaptureFixture) -> None:
    hp, sp = free_port(), free_port()
    rt = await runtime(caddyfile(SITE, hp, sp))
    ctx = client_context(root_pem(data_home))
    first = serial((await https_get(sp, "foo.localhost", ctx))[2])
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    assert manager.renew_due() == []  # fresh certificates are not in their window
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=10)  # 2 of 12 hours left
    caplog.set_level(logging.INFO, logger="tls.renew")
    assert sorted(manager.renew_due(later)) == ["127.0.0.1", "foo.localhost"]
    await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 10)
    assert serial((await https_get(sp, "foo.localhost", ctx))[2]) != first
    assert any(r.name == "tls.renew" and r.getMessage() == "certificate renewed successfully"
               for r in caplog.records)


async def test_explicit_internal_issuer_for_public_name(runtime, data_home: Path) -> None:
    hp, sp = free_port(), free_port()
    site = "example.com {\n\tbind 127.0.0.1\n\ttls internal\n\trespond ok\n}\n"
    await runtime(caddyfile(site, hp, sp))
    status, body, _ = await https_get(sp, "example.com", client_context(root_pem(data_home)))
    assert (status, body) == (200, "ok")


async def test_unreachable_acme_server_is_logged_and_serving_goes_on(runtime, data_home: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    hp, sp = free_port(), free_port()
    site = ("public.example.com {\n\tbind 127.0.0.1\n\trespond pub\n}\n"
            "foo.localhost {\n\tbind 127.0.0.1\n\trespond foo\n}\n")
    caplog.set_level(logging.INFO, logger="tls.obtain")
    rt = await runtime(caddyfile(site, hp, sp, "\tacme_ca http://127.0.0.1:9/directory\n"))
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 10)
    assert any(r.name == "tls.obtain" and r.levelname == "ERROR" and
               r.caddy_fields["identifier"] == "public.example.com" and  # type: ignore[attr-defined]
               "127.0.0.1" in r.caddy_fields["error"] for r in caplog.records)  # type: ignore[attr-defined]
    status, body, _ = await https_get(sp, "foo.localhost", client_context(root_pem(data_home)))
    assert (status, body) == (200, "foo")


async def test_issuers_tried_in_order(runtime, data_home: Path) -> None:
    """An unreachable ACME CA first, the local CA second: the second issues, as Caddy falls back."""
    hp, sp = free_port(), free_port()
    site = ("fallback.example.com {\n\tbind 127.0.0.1\n\ttls {\n\t\tissuer acme {\n"
            "\t\t\tdir http://127.0.0.1:9/directory\n\t\t}\n\t\tissuer internal\n\t}\n\trespond fb\n}\n")
    rt = await runtime(caddyfile(site, hp, sp))
    manager = rt.current.apps["tls"].manager  # type: ignore[union-attr]
    assert [i["module"] for i in manager.issuers_for("fallback.example.com")] == ["acme", "internal"]
    results = await asyncio.wait_for(asyncio.gather(*manager.obtaining.values()), 30)
    assert results[0] is not None and results[0].issuer_key == "local"
    status, body, _ = await https_get(sp, "fallback.example.com", client_context(root_pem(data_home)))
    assert (status, body) == (200, "fb")
