"""Automatic HTTPS compared with the real caddy: the same Caddyfile served by both (one after the
other, on the same ports) gives the same HTTP→HTTPS redirects and plain-HTTP answers."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from caddy_py.config.loading import config_from_bytes
from caddy_py.config.runtime import Runtime
from tests.tls.conftest import free_port, client_context, https_get


def caddyfile(hp: int, sp: int, alt: int) -> str:
    return f"""{{
	http_port {hp}
	https_port {sp}
	admin off
	skip_install_trust
}}
a.localhost, b.localhost {{
	bind 127.0.0.1
	respond "ab {{http.request.scheme}}"
}}
http://c.localhost {{
	bind 127.0.0.1
	respond "c plain"
}}
d.localhost:{alt} {{
	bind 127.0.0.1
	respond "d alt"
}}
"""


async def http_get(port: int, host: str, path: str) -> tuple[int, str, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = await asyncio.wait_for(reader.read(-1), 10)
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    loc = next((ln.split(":", 1)[1].strip() for ln in lines[1:] if ln.lower().startswith("location:")), "")
    return int(lines[0].split()[1]), loc, body.decode()


async def observe(hp: int) -> list[Any]:
    """What the HTTP port answers (set up at load: no wait for certificates, which caddy obtains
    in the background and, unlike caddy-py, does not wait for in handshakes)."""
    out: list[Any] = []
    for host, path in (("a.localhost", "/x?y=1"), ("b.localhost", "/"), ("c.localhost", "/c"),
                       ("d.localhost", "/p"), ("unknown.localhost", "/u")):
        out.append(("http", host, path, await http_get(hp, host, path)))
    return out


async def test_same_redirects_and_https_as_caddy(caddy_bin: str, caddy_env: dict[str, str], tmp_path: Path,
                                                 monkeypatch: Any) -> None:
    hp, sp, alt = free_port(), free_port(), free_port()
    text = caddyfile(hp, sp, alt)
    conf = tmp_path / "Caddyfile"
    conf.write_text(text)
    proc = await asyncio.create_subprocess_exec(caddy_bin, "run", "--config", str(conf), "--adapter", "caddyfile",
                                                env=caddy_env, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        async def started() -> None:
            while b"serving initial configuration" not in (line := await proc.stderr.readline()):  # type: ignore[union-attr]
                assert line, "caddy exited"

        await asyncio.wait_for(started(), 30)
        drain = asyncio.ensure_future(proc.stderr.read())  # type: ignore[union-attr]
        expected = await observe(hp)
    finally:
        proc.terminate()
        await proc.wait()
    drain.cancel()

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "ours"))
    rt = Runtime()
    rt.manage_admin = False
    await rt.load(config_from_bytes(text.encode(), "caddyfile"))
    try:
        got = await observe(hp)
        ctx = client_context(tmp_path / "ours" / "caddy" / "pki" / "authorities" / "local" / "root.crt")
        assert (await https_get(sp, "b.localhost", ctx))[:2] == (200, "ab https")
        assert (await https_get(alt, "d.localhost", ctx))[:2] == (200, "d alt")
    finally:
        await rt.stop()
    assert got == expected
    assert ("http", "a.localhost", "/x?y=1", (308, "https://a.localhost/x?y=1", "")) in got
