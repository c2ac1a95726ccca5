"""Certificates from files, connection policies, SNI selection and client authentication,
end to end: a real caddy-py listener and Python ssl clients on 127.0.0.1."""
from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest

from tests.tls.conftest import ScratchCA, client_context, host_route, https_get, ports, respond


def config(policies: list[dict[str, Any]], tls: dict[str, Any], routes: list[dict[str, Any]] | None = None,
           **srv: Any) -> dict[str, Any]:
    server = {"listen": ["127.0.0.1:0"], "routes": routes or [{"handle": [respond("ok")]}],
              "tls_connection_policies": policies, **srv}
    return {"admin": {"disabled": True}, "apps": {"http": {"servers": {"srv0": server}}, "tls": tls}}


def load_files(*pairs: tuple[Path, Path], tags: list[str] | None = None) -> dict[str, Any]:
    return {"certificates": {"load_files": [
        {"certificate": str(c), "key": str(k), **({"tags": tags} if tags else {})} for c, k in pairs]}}


async def test_cert_from_files_served_by_sni(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["a.example"], "a")
    b = test_ca.issue(["b.example", "*.wild.example"], "b")
    rt = await runtime(config([{}], load_files(a, b), routes=[
        host_route("a.example", "A"), host_route("x.wild.example", "W"), {"handle": [respond("other")]}]))
    port = ports(rt)[0]
    ctx = client_context(test_ca.pem_path)
    status, body, obj = await https_get(port, "a.example", ctx)
    assert (status, body) == (200, "A")
    assert obj.getpeercert()["subject"][0][0] == ("commonName", "a.example")
    status, body, obj = await https_get(port, "x.wild.example", ctx)
    assert (status, body) == (200, "W")
    assert obj.getpeercert()["subject"][0][0] == ("commonName", "b.example")
    assert obj.selected_alpn_protocol() in (None, "http/1.1")


async def test_unknown_sni_fails_the_handshake(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["a.example"], "a")
    rt = await runtime(config([{}], load_files(a)))
    ctx = client_context(test_ca.pem_path)
    ctx.check_hostname = False
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await https_get(ports(rt)[0], "nope.example", ctx)


async def test_default_and_fallback_sni(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["a.example"], "a")
    rt = await runtime(config([{"default_sni": "a.example", "fallback_sni": "a.example"}], load_files(a)))
    ctx = client_context(test_ca.pem_path)
    ctx.check_hostname = False
    for sni in ("", "unknown.example"):  # no SNI → default_sni; no match → fallback_sni
        status, body, obj = await https_get(ports(rt)[0], sni, ctx, host="x")
        assert (status, body) == (200, "ok")
        assert obj.getpeercert()["subject"][0][0] == ("commonName", "a.example")


async def test_policy_protocols_chosen_by_sni(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["old.example"], "a")
    b = test_ca.issue(["new.example"], "b")
    pols = [{"match": {"sni": ["old.example"]}, "protocol_max": "tls1.2"},
            {"match": {"sni": ["new.example"]}, "protocol_min": "tls1.3"}]
    rt = await runtime(config(pols, load_files(a, b)))
    ctx = client_context(test_ca.pem_path)
    _, _, obj = await https_get(ports(rt)[0], "old.example", ctx)
    assert obj.version() == "TLSv1.2"
    _, _, obj = await https_get(ports(rt)[0], "new.example", ctx)
    assert obj.version() == "TLSv1.3"
    only12 = client_context(test_ca.pem_path)
    only12.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await https_get(ports(rt)[0], "new.example", only12)
    # no policy matches this SNI: no TLS configuration for it
    other = client_context(test_ca.pem_path)
    other.check_hostname = False
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await https_get(ports(rt)[0], "third.example", other)


async def test_cipher_suites_for_tls12(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["a.example"], "a")
    pols = [{"protocol_max": "tls1.2", "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"]}]
    rt = await runtime(config(pols, load_files(a)))
    _, _, obj = await https_get(ports(rt)[0], "a.example", client_context(test_ca.pem_path))
    assert obj.cipher()[0] == "ECDHE-ECDSA-CHACHA20-POLY1305"


async def test_certificate_selection_by_tag(runtime, test_ca: ScratchCA) -> None:
    one = test_ca.issue(["a.example"], "one", org="One")
    two = test_ca.issue(["a.example"], "two", org="Two")
    tls = {"certificates": {"load_files": [
        {"certificate": str(one[0]), "key": str(one[1]), "tags": ["first"]},
        {"certificate": str(two[0]), "key": str(two[1]), "tags": ["second"]}]}}
    rt = await runtime(config([{"certificate_selection": {"any_tag": ["second"]}}], tls))
    _, _, obj = await https_get(ports(rt)[0], "a.example", client_context(test_ca.pem_path))
    subject = dict(x[0] for x in obj.getpeercert()["subject"])
    assert subject["organizationName"] == "Two"


async def test_mtls_require_and_verify(runtime, test_ca: ScratchCA, tmp_path: Path) -> None:
    server = test_ca.issue(["m.example"], "srv")
    good = test_ca.issue(["client"], "client", client=True)
    stranger_ca = ScratchCA(tmp_path, "Other CA")
    bad = stranger_ca.issue(["client"], "bad", client=True)
    pols = [{"client_authentication": {"ca": {"provider": "file", "pem_files": [str(test_ca.pem_path)]},
                                       "mode": "require_and_verify"}}]
    rt = await runtime(config(pols, load_files(server)))
    port = ports(rt)[0]
    status, body, obj = await https_get(port, "m.example", client_context(test_ca.pem_path, cert=good))
    assert (status, body) == (200, "ok")

    async def refused(ctx: ssl.SSLContext) -> None:
        # TLS 1.3 reports a rejected client certificate after the handshake, on first read
        with pytest.raises((ssl.SSLError, ConnectionError, ValueError)):
            status, _, _ = await https_get(port, "m.example", ctx)
            raise ConnectionError(f"served with status {status}")

    await refused(client_context(test_ca.pem_path))  # no client certificate
    await refused(client_context(test_ca.pem_path, cert=bad))  # not signed by the trusted CA


async def test_mtls_verify_if_given_allows_anonymous(runtime, test_ca: ScratchCA) -> None:
    server = test_ca.issue(["m.example"], "srv")
    pols = [{"client_authentication": {"trusted_ca_certs_pem_files": [str(test_ca.pem_path)],
                                       "mode": "verify_if_given"}}]
    rt = await runtime(config(pols, load_files(server)))
    status, _, _ = await https_get(ports(rt)[0], "m.example", client_context(test_ca.pem_path))
    assert status == 200


async def test_plain_http_to_tls_port_gets_go_answer(runtime, test_ca: ScratchCA) -> None:
    rt = await runtime(config([{}], load_files(test_ca.issue(["a.example"], "a"))))
    reader, writer = await asyncio.open_connection("127.0.0.1", ports(rt)[0])
    writer.write(b"GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")
    data = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()
    assert data.startswith(b"HTTP/1.0 400 Bad Request")
    assert b"Client sent an HTTP request to an HTTPS server." in data


async def test_bad_cert_files_are_reported_and_the_rest_serves(runtime, test_ca: ScratchCA, tmp_path: Path,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    good = test_ca.issue(["a.example"], "a")
    other = test_ca.issue(["b.example"], "b")
    mismatched = (other[0], good[1])
    missing = (tmp_path / "nope.crt", tmp_path / "nope.key")
    rt = await runtime(config([{}], load_files(good, mismatched, missing)))
    errors = [r.getMessage() for r in caplog.records if r.name == "tls" and r.levelname == "ERROR"]
    assert any("private key does not match public key" in e and str(other[0]) in e for e in errors)
    assert any("nope.crt" in e and "No such file" in e for e in errors)
    status, _, _ = await https_get(ports(rt)[0], "a.example", client_context(test_ca.pem_path))
    assert status == 200


async def test_request_scheme_is_https(runtime, test_ca: ScratchCA) -> None:
    a = test_ca.issue(["a.example"], "a")
    routes = [{"handle": [{"handler": "static_response", "body": "{http.request.scheme}"}]}]
    rt = await runtime(config([{}], load_files(a), routes=routes))
    _, body, _ = await https_get(ports(rt)[0], "a.example", client_context(test_ca.pem_path))
    assert body == "https"


async def test_tls_placeholders_with_client_certificate(runtime, test_ca: ScratchCA) -> None:
    server = test_ca.issue(["m.example"], "srv")
    client = test_ca.issue(["client.example"], "client", client=True, org="Org")
    body = ("{http.request.tls.version}|{http.request.tls.server_name}|{http.request.tls.proto}|"
            "{http.request.tls.client.subject}|{http.request.tls.client.san.dns_names.0}|"
            "{http.request.tls.client.issuer}")
    routes = [{"handle": [{"handler": "static_response", "body": body}]}]
    pols = [{"client_authentication": {"trusted_ca_certs_pem_files": [str(test_ca.pem_path)],
                                       "mode": "verify_if_given"}}]
    rt = await runtime(config(pols, load_files(server), routes=routes))
    port = ports(rt)[0]
    ctx = client_context(test_ca.pem_path, cert=client)
    ctx.set_alpn_protocols(["h2", "http/1.1"])  # h2 is not offered back: aiohttp speaks HTTP/1.1
    _, got, _ = await https_get(port, "m.example", ctx)
    assert got == "tls1.3|m.example|http/1.1|O=Org,CN=client.example|client.example|CN=Test CA"
    _, got, _ = await https_get(port, "m.example", client_context(test_ca.pem_path))
    assert got == "tls1.3|m.example||||"


async def test_bad_site_certificate_names_the_site(runtime, test_ca: ScratchCA, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    """`tls cert key` of one site is missing: the error names the site, the other site serves."""
    good = test_ca.issue(["good.example"], "good")
    tls = {"certificates": {"load_files": [
        {"certificate": str(good[0]), "key": str(good[1]), "tags": ["cert0"]},
        {"certificate": str(tmp_path / "gone.crt"), "key": str(tmp_path / "gone.key"), "tags": ["cert1"]}]}}
    pols = [{"match": {"sni": ["good.example"]}, "certificate_selection": {"any_tag": ["cert0"]}},
            {"match": {"sni": ["bad.example"]}, "certificate_selection": {"any_tag": ["cert1"]}}, {}]
    rt = await runtime(config(pols, tls))
    msgs = [r.getMessage() for r in caplog.records if r.name == "tls" and r.levelname == "ERROR"]
    assert any(m.startswith("server srv0: site bad.example has no certificate: ") and "gone.crt" in m for m in msgs)
    status, _, _ = await https_get(ports(rt)[0], "good.example", client_context(test_ca.pem_path))
    assert status == 200
