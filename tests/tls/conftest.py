"""TLS test helpers: a throwaway CA issuing server/client certificates, an in-process caddy-py,
and a raw HTTPS client built on Python's ssl (so handshake details are visible)."""
from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caddy_py.config.runtime import Runtime


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class ScratchCA:
    """A one-level CA writing PEM files into a directory."""

    def __init__(self, directory: Path, cn: str = "Test CA") -> None:
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.pem_path = directory / f"{cn.replace(' ', '_')}.pem"
        self.pem_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, names: list[str], stem: str, client: bool = False, org: str = "") -> tuple[Path, Path]:
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        subject = [x509.NameAttribute(NameOID.COMMON_NAME, names[0])]
        if org:
            subject.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
        eku = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        cert = (x509.CertificateBuilder().subject_name(x509.Name(subject)).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
                .sign(self.key, hashes.SHA256()))
        crt, kp = self.dir / f"{stem}.crt", self.dir / f"{stem}.key"
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return crt, kp


@pytest.fixture
def test_ca(tmp_path: Path) -> ScratchCA:
    return ScratchCA(tmp_path)


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Caddy's data directory for this test ($XDG_DATA_HOME/caddy)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "caddy"


@pytest.fixture(autouse=True)
def _fresh_cert_cache() -> None:
    """Managed certificates are process-wide (they survive reloads): isolate tests."""
    from caddy_py.tls import automation

    automation.MANAGED.by_name.clear()
    automation.CAS.clear()


@pytest.fixture
async def runtime() -> AsyncIterator[Callable[[dict[str, Any]], Awaitable[Runtime]]]:
    runtimes: list[Runtime] = []

    async def start(cfg: dict[str, Any]) -> Runtime:
        rt = Runtime()
        rt.manage_admin = False
        runtimes.append(rt)
        await rt.load(cfg)
        return rt

    yield start
    for rt in runtimes:
        await asyncio.wait_for(rt.stop(), 10)


def free_port() -> int:
    """A port free on 127.0.0.1 now (for configs that need a fixed port: http_port, reloads)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports(rt: Runtime, server: str = "srv0") -> list[int]:
    assert rt.current is not None
    return rt.current.http_ports()[server]


def client_context(cafile: Path | str | None = None, cadata: bytes | None = None,
                   cert: tuple[Path, Path] | None = None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cafile) if cafile else None,
                                     cadata=cadata.decode() if cadata else None)
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


async def https_get(port: int, sni: str, ctx: ssl.SSLContext, path: str = "/",
                    host: str | None = None) -> tuple[int, str, ssl.SSLObject]:
    """One HTTP/1.1 request over TLS: (status, body, ssl object of the connection)."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(
        "127.0.0.1", port, ssl=ctx, server_hostname=sni or None), 10)
    try:
        sslobj = writer.get_extra_info("ssl_object")
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host or sni}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), 10)
    finally:
        writer.close()
    if not data:
        raise ConnectionError("the server closed the connection without answering")
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body.decode(errors="replace"), sslobj


def respond(body: str) -> dict[str, Any]:
    return {"handler": "static_response", "body": body}


def host_route(host: str, body: str) -> dict[str, Any]:
    return {"match": [{"host": [host]}], "handle": [respond(body)], "terminal": True}



def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Any]:
    """Every TLS test runs on asyncio's loop and on uvloop (what `caddy-py run` uses): their
    transports differ."""
    import uvloop

    return {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}
