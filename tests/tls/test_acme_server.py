"""`acme_server` end to end: certbot's `acme` client library registers, orders, answers http-01
from a real peer server, finalizes and downloads a chain from caddy-py serving the ACME API over
HTTPS (`tls internal`); the failures come back as ACME problem documents."""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import struct
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import josepy
import pytest
from acme import challenges, client, crypto_util, errors, jws as acme_jws, messages
from aiohttp import ClientSession, web
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from caddy_py.config.loading import config_from_bytes
from caddy_py.modules.acme_server import state
from tests.tls.conftest import free_port

pytestmark = pytest.mark.timeout(60)


def _config(https_port: int, http_port: int, options: str = "") -> dict[str, Any]:
    text = (f"{{\n\tadmin off\n\tskip_install_trust\n\thttp_port {http_port}\n\thttps_port {https_port}\n}}\n"
            f"localhost {{\n\tbind 127.0.0.1\n\ttls internal\n\tacme_server {{\n{options}\t}}\n}}\n")
    return config_from_bytes(text.encode(), "caddyfile")


class Answers:
    """The ACME client's side of http-01: a real HTTP server answering tokens on 127.0.0.1."""

    def __init__(self) -> None:
        self.tokens: dict[str, str] = {}

    async def handle(self, request: web.Request) -> web.Response:
        answer = self.tokens.get(request.match_info["token"])
        return web.Response(text=answer) if answer is not None else web.Response(status=404)


@pytest.fixture(autouse=True)
def _fresh_acme_state() -> None:
    state.STORES.clear()


@pytest.fixture
async def answers(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Answers]:
    a = Answers()
    app = web.Application()
    app.router.add_get("/.well-known/acme-challenge/{token}", a.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    monkeypatch.setenv("CADDY_PY_ACME_SERVER_HTTP_PORT", str(port))
    yield a
    await runner.cleanup()


@pytest.fixture
async def acme_ca(runtime, data_home: Path) -> Callable[..., Any]:
    """Start caddy-py serving acme_server; returns (directory URL, root PEM path)."""
    async def start(options: str = "") -> tuple[str, Path]:
        sp, hp = free_port(), free_port()
        await runtime(_config(sp, hp, options))
        return f"https://localhost:{sp}/acme/local/directory", data_home / "pki/authorities/local/root.crt"
    return start


def _client(directory: str, root: Path) -> tuple[client.ClientV2, josepy.JWK]:
    key = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    net = client.ClientNetwork(key, alg=josepy.ES256, verify_ssl=str(root), user_agent="test")
    acme = client.ClientV2(client.ClientV2.get_directory(directory, net), net)
    acme.net.account = acme.new_account(messages.NewRegistration.from_data(
        email="ops@example.com", terms_of_service_agreed=True))
    return acme, key


def _csr(names: list[str]) -> bytes:
    """A CSR for DNS names and IP addresses (as SANs of their own type)."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    ips, dns = [], []
    for n in names:
        try:
            ips.append(ipaddress.ip_address(n))
        except ValueError:
            dns.append(n)
    return crypto_util.make_csr(pem, dns, ipaddrs=ips)


def _answer_http01(acme: client.ClientV2, key: josepy.JWK, order: messages.OrderResource,
                   answers: Answers, wrong: bool = False) -> None:
    for authz in order.authorizations:
        challb = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.HTTP01))
        response, validation = challb.response_and_validation(key)
        answers.tokens[challb.chall.encode("token")] = "not-it" if wrong else validation
        acme.answer_challenge(challb, response)


def _deadline() -> dt.datetime:
    return dt.datetime.now() + dt.timedelta(seconds=30)


def _issue(directory: str, root: Path, names: list[str], answers: Answers) -> str:
    acme, key = _client(directory, root)
    order = acme.new_order(_csr(names))
    _answer_http01(acme, key, order, answers)
    return acme.poll_and_finalize(order, _deadline()).fullchain_pem


async def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn, *args)


async def test_certbot_acme_client_gets_a_chain_to_the_local_root(acme_ca, answers) -> None:
    directory, root_path = await acme_ca()
    pem = await _in_thread(_issue, directory, root_path, ["localhost", "127.0.0.1"], answers)
    leaf, inter = x509.load_pem_x509_certificates(pem.encode())
    root = x509.load_pem_x509_certificate(root_path.read_bytes())
    leaf.verify_directly_issued_by(inter)
    inter.verify_directly_issued_by(root)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(i) for i in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= dt.timedelta(hours=12, minutes=1)


async def test_sign_with_root_and_lifetime(acme_ca, answers) -> None:
    directory, root_path = await acme_ca("\t\tsign_with_root\n\t\tlifetime 1h\n")
    pem = await _in_thread(_issue, directory, root_path, ["localhost"], answers)
    leaf, issuer = x509.load_pem_x509_certificates(pem.encode())
    assert issuer.public_bytes(serialization.Encoding.PEM) == root_path.read_bytes()
    leaf.verify_directly_issued_by(issuer)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= dt.timedelta(hours=1, minutes=1)


def _order_error(directory: str, root: Path, names: list[str]) -> messages.Error:
    acme, _ = _client(directory, root)
    with pytest.raises(messages.Error) as e:
        acme.new_order(_csr(names))
    return e.value


async def test_policy_rejects_identifiers(acme_ca) -> None:
    directory, root = await acme_ca("\t\tallow {\n\t\t\tdomains localhost\n\t\t}\n"
                                    "\t\tdeny {\n\t\t\tip_ranges 10.0.0.0/8\n\t\t}\n")
    err = await _in_thread(_order_error, directory, root, ["example.com"])
    assert err.typ == "urn:ietf:params:acme:error:rejectedIdentifier"
    err = await _in_thread(_order_error, directory, root, ["10.1.2.3"])
    assert err.typ == "urn:ietf:params:acme:error:rejectedIdentifier"
    err = await _in_thread(_order_error, directory, root, ["*.localhost"])
    assert err.typ == "urn:ietf:params:acme:error:rejectedIdentifier"


def _failed_validation(directory: str, root: Path, answers: Answers) -> Any:
    acme, key = _client(directory, root)
    order = acme.new_order(_csr(["localhost"]))
    _answer_http01(acme, key, order, answers, wrong=True)
    with pytest.raises(errors.ValidationError) as e:
        acme.poll_and_finalize(order, _deadline())
    return e.value.failed_authzrs[0].body


async def test_a_wrong_key_authorization_fails_the_challenge(acme_ca, answers) -> None:
    directory, root = await acme_ca()
    authz = await _in_thread(_failed_validation, directory, root, answers)
    assert authz.status == messages.STATUS_INVALID
    failed = next(c for c in authz.challenges if c.status == messages.STATUS_INVALID)
    assert failed.error.typ == "urn:ietf:params:acme:error:incorrectResponse"


def _finalize_with(directory: str, root: Path, answers: Answers, csr_names: list[str]) -> messages.Error:
    acme, key = _client(directory, root)
    order = acme.new_order(_csr(["localhost"]))
    _answer_http01(acme, key, order, answers)
    order = acme.poll_authorizations(order, _deadline())
    with pytest.raises(messages.Error) as e:
        acme.finalize_order(order.update(csr_pem=_csr(csr_names)), _deadline())
    return e.value


async def test_finalize_checks_the_csr_against_the_order(acme_ca, answers) -> None:
    directory, root = await acme_ca()
    err = await _in_thread(_finalize_with, directory, root, answers, ["localhost", "other.example"])
    assert err.typ == "urn:ietf:params:acme:error:badCSR"


class TXTServer(asyncio.DatagramProtocol):
    """A real DNS server on UDP 127.0.0.1: TXT answers from `records`, NXDOMAIN otherwise."""

    def __init__(self) -> None:
        self.records: dict[str, list[str]] = {}
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        qid = struct.unpack("!H", data[:2])[0]
        off, labels = 12, []
        while data[off]:
            labels.append(data[off + 1:off + 1 + data[off]].decode())
            off += 1 + data[off]
        question = data[12:off + 5]
        values = self.records.get(".".join(labels).lower(), [])
        flags = 0x8180 if values else 0x8183
        answers = b"".join(struct.pack("!HHHIH", 0xC00C, 16, 1, 60, len(v) + 1) + bytes([len(v)]) + v.encode()
                           for v in values)
        self.transport.sendto(struct.pack("!HHHHHH", qid, flags, 1, len(values), 0, 0) + question + answers, addr)


@pytest.fixture
async def txt_server() -> AsyncIterator[tuple[TXTServer, int]]:
    transport, proto = await asyncio.get_running_loop().create_datagram_endpoint(
        TXTServer, local_addr=("127.0.0.1", 0))
    yield proto, transport.get_extra_info("sockname")[1]
    transport.close()


def _dns01_order(directory: str, root: Path, names: list[str], records: dict[str, list[str]],
                 publish: bool) -> Any:
    acme, key = _client(directory, root)
    order = acme.new_order(_csr(names))
    for authz in order.authorizations:
        challb = next(c for c in authz.body.challenges if isinstance(c.chall, challenges.DNS01))
        if publish:
            name = challb.chall.validation_domain_name(authz.body.identifier.value)
            records.setdefault(name, []).append(challb.chall.validation(key))
        acme.answer_challenge(challb, challb.response(key))
    if publish:
        return acme.poll_and_finalize(order, _deadline()).fullchain_pem
    return acme.poll(order.authorizations[0])[0].body


async def test_dns01_for_a_wildcard_through_the_configured_resolver(acme_ca, txt_server) -> None:
    server, port = txt_server
    directory, root = await acme_ca(f"\t\tresolvers 127.0.0.1:{port}\n")
    pem = await _in_thread(_dns01_order, directory, root, ["*.example.test", "example.test"],
                           server.records, True)
    leaf = x509.load_pem_x509_certificates(pem.encode())[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(sans.get_values_for_type(x509.DNSName)) == ["*.example.test", "example.test"]


async def test_dns01_without_the_record_fails_with_a_dns_problem(acme_ca, txt_server) -> None:
    server, port = txt_server
    directory, root = await acme_ca(f"\t\tresolvers 127.0.0.1:{port}\n")
    authz = await _in_thread(_dns01_order, directory, root, ["example.test"], server.records, False)
    ch = next(c for c in authz.challenges if c.chall.typ == "dns-01")
    assert (authz.status, ch.status) == (messages.STATUS_INVALID, messages.STATUS_INVALID)
    assert ch.error.typ == "urn:ietf:params:acme:error:dns"


async def test_a_reused_nonce_is_a_bad_nonce(acme_ca) -> None:
    directory, root = await acme_ca()
    import ssl

    ctx = ssl.create_default_context(cafile=str(root))
    key = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    async with ClientSession() as s:
        async with s.get(directory, ssl=ctx) as r:
            new_account = (await r.json())["newAccount"]
        async with s.head(directory.replace("directory", "new-nonce"), ssl=ctx) as r:
            nonce = r.headers["Replay-Nonce"]
        results = []
        for _ in range(2):
            body = acme_jws.JWS.sign(json.dumps({"termsOfServiceAgreed": True}).encode(), key, josepy.ES256,
                                     josepy.b64decode(nonce), url=new_account).json_dumps()
            async with s.post(new_account, data=body, ssl=ctx,
                              headers={"Content-Type": "application/jose+json"}) as r:
                results.append((r.status, r.headers["Content-Type"], await r.json(content_type=None)))
    assert results[0][0] == 201
    assert results[1] == (400, "application/problem+json", {
        "type": "urn:ietf:params:acme:error:badNonce", "detail": "Unacceptable anti-replay nonce"})


def _revoke_twice(directory: str, root: Path, answers: Answers) -> messages.Error:
    acme, key = _client(directory, root)
    order = acme.new_order(_csr(["localhost"]))
    _answer_http01(acme, key, order, answers)
    pem = acme.poll_and_finalize(order, _deadline()).fullchain_pem
    leaf = x509.load_pem_x509_certificates(pem.encode())[0]
    acme.revoke(leaf, 0)
    with pytest.raises(messages.Error) as e:
        acme.revoke(leaf, 0)
    return e.value


async def test_revocation_by_the_account(acme_ca, answers) -> None:
    directory, root = await acme_ca()
    err = await _in_thread(_revoke_twice, directory, root, answers)
    assert err.typ == "urn:ietf:params:acme:error:alreadyRevoked"


def _order_after_deactivation(directory: str, root: Path) -> messages.Error:
    acme, _ = _client(directory, root)
    acme.deactivate_registration(acme.net.account)
    with pytest.raises(messages.Error) as e:
        acme.new_order(_csr(["localhost"]))
    return e.value


async def test_a_deactivated_account_cannot_order(acme_ca) -> None:
    directory, root = await acme_ca()
    err = await _in_thread(_order_after_deactivation, directory, root)
    assert err.typ == "urn:ietf:params:acme:error:unauthorized"


def _offered(directory: str, root: Path, names: list[str]) -> list[str]:
    acme, _ = _client(directory, root)
    order = acme.new_order(_csr(names))
    # the library does not model tls-alpn-01: its raw JSON says the type
    return [getattr(c.chall, "jobj", {}).get("type") or c.chall.typ
            for a in order.authorizations for c in a.body.challenges]


async def test_challenges_offered(acme_ca) -> None:
    directory, root = await acme_ca()
    assert await _in_thread(_offered, directory, root, ["localhost"]) == ["http-01", "dns-01", "tls-alpn-01"]
    assert await _in_thread(_offered, directory, root, ["127.0.0.1"]) == ["http-01", "tls-alpn-01"]
    assert await _in_thread(_offered, directory, root, ["*.localhost"]) == ["dns-01"]


async def test_only_the_configured_challenges_are_offered(acme_ca) -> None:
    directory, root = await acme_ca("\t\tchallenges tls-alpn-01\n")
    assert await _in_thread(_offered, directory, root, ["localhost"]) == ["tls-alpn-01"]


async def test_host_and_path_prefix(runtime, data_home: Path) -> None:
    import ssl

    sp, hp = free_port(), free_port()
    cfg = _config(sp, hp)
    text = json.dumps(cfg).replace('{"handler": "acme_server"}',
                                   '{"handler": "acme_server", "host": "ca.example", "path_prefix": "/ca/"}')
    assert text != json.dumps(cfg)
    await runtime(json.loads(text))
    ctx = ssl.create_default_context(cafile=str(data_home / "pki/authorities/local/root.crt"))
    async with ClientSession() as s:
        async with s.get(f"https://localhost:{sp}/ca/local/directory", ssl=ctx) as r:
            directory = await r.json()
        async with s.get(f"https://localhost:{sp}/acme/local/directory", ssl=ctx) as r:
            elsewhere = r.status
    assert directory["newOrder"] == "https://ca.example/ca/local/new-order"
    assert elsewhere == 200  # not under the prefix: the next handler (none: Caddy's empty 200)


def _change_key(directory: str, root: Path) -> tuple[str, str, messages.Error]:
    acme, old = _client(directory, root)
    new = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    url = acme.directory["keyChange"]
    inner = acme_jws.JWS.sign(json.dumps({"account": acme.net.account.uri,
                                          "oldKey": old.public_key().to_partial_json()}).encode(),
                              new, josepy.ES256, None, url=url)
    acme._post(url, inner)

    def lookup(key: josepy.JWK) -> Any:
        net = client.ClientNetwork(key, alg=josepy.ES256, verify_ssl=str(root), user_agent="test")
        other = client.ClientV2(client.ClientV2.get_directory(directory, net), net)
        return other.new_account(messages.NewRegistration.from_data(only_return_existing=True))

    with pytest.raises(errors.ConflictError) as found:  # the library's way of saying "exists, here"
        lookup(new)
    with pytest.raises(messages.Error) as gone:
        lookup(old)
    return acme.net.account.uri, found.value.location, gone.value


async def test_key_change(acme_ca) -> None:
    directory, root = await acme_ca()
    account, found, gone = await _in_thread(_change_key, directory, root)
    assert found == account
    assert gone.typ == "urn:ietf:params:acme:error:accountDoesNotExist"


class _Raw:
    """A payload the library posts as is (it only calls json_dumps)."""

    def __init__(self, obj: dict[str, Any]) -> None:
        self.obj = obj

    def json_dumps(self, **_: Any) -> str:
        return json.dumps(self.obj)


def _order_with_dates(directory: str, root: Path, not_after: str) -> messages.Error:
    acme, _ = _client(directory, root)
    with pytest.raises(messages.Error) as e:
        acme.net.post(acme.directory["newOrder"], _Raw({
            "identifiers": [{"type": "dns", "value": "localhost"}], "notAfter": not_after}))
    return e.value


async def test_requested_validity_outside_the_claims_is_refused(acme_ca) -> None:
    directory, root = await acme_ca()
    far = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    err = await _in_thread(_order_with_dates, directory, root, far)
    assert err.typ == "urn:ietf:params:acme:error:malformed"
