"""The fastcgi transport against a small FastCGI responder written here (the peer side of the
protocol: records, name-value pairs, STDIN, STDOUT, END_REQUEST)."""
from __future__ import annotations

import asyncio
import json
import struct

import pytest


def _read_nv(data: bytes) -> dict[str, str]:
    out, i = {}, 0

    def length() -> int:
        nonlocal i
        if data[i] < 128:
            i += 1
            return data[i - 1]
        n = struct.unpack("!I", data[i:i + 4])[0] & 0x7FFFFFFF
        i += 4
        return n

    while i < len(data):
        kl, vl = length(), length()
        out[data[i:i + kl].decode()] = data[i + kl:i + kl + vl].decode()
        i += kl + vl
    return out


def _rec(kind: int, content: bytes) -> bytes:
    return struct.pack("!BBHHBx", 1, kind, 1, len(content), 0) + content


async def responder(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    params, stdin = b"", b""
    while True:
        _, kind, _, length, pad = struct.unpack("!BBHHBx", await reader.readexactly(8))
        content = (await reader.readexactly(length + pad))[:length]
        if kind == 4:
            params += content
        elif kind == 5:
            if not content:
                break
            stdin += content
    env = _read_nv(params)
    body = json.dumps({"env": env, "stdin": stdin.decode()}).encode()
    status = b"Status: 201 Created\r\n" if env.get("REQUEST_METHOD") == "POST" else b""
    out = status + b"Content-Type: application/json\r\nX-Fcgi: yes\r\n\r\n" + body
    writer.write(_rec(7, b"a warning") + _rec(6, out[:10]) + _rec(6, out[10:]) + _rec(6, b"")
                 + _rec(3, struct.pack("!IB3x", 0, 0)))
    await writer.drain()
    writer.close()


@pytest.fixture
async def fcgi_port():
    server = await asyncio.start_server(responder, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


def fcgi(port: int, root: str) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{port}"}],
            "transport": {"protocol": "fastcgi", "root": root, "split_path": [".php"],
                          "env": {"APP_ENV": "test-{http.request.uri.path}"}}}


async def test_cgi_environment_and_response(site, client, fcgi_port, tmp_path):
    s = await site([fcgi(fcgi_port, str(tmp_path))])
    async with client.get(s.url + "/app/index.PHP/extra/path?x=1&y=2", headers={"X-Test": "t"}) as r:
        assert r.status == 200
        assert r.headers["X-Fcgi"] == "yes"
        data = await r.json()
    env = data["env"]
    assert env["SCRIPT_FILENAME"] == str(tmp_path / "app" / "index.PHP")
    assert env["SCRIPT_NAME"] == "/app/index.PHP"
    assert env["PATH_INFO"] == "/extra/path"
    assert env["PATH_TRANSLATED"] == str(tmp_path / "extra" / "path")
    assert env["QUERY_STRING"] == "x=1&y=2"
    assert env["REQUEST_URI"] == "/app/index.PHP/extra/path?x=1&y=2"
    assert env["REQUEST_METHOD"] == "GET"
    assert env["DOCUMENT_ROOT"] == str(tmp_path)
    assert env["HTTP_X_TEST"] == "t"
    assert env["SERVER_PORT"] == str(s.port)
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["APP_ENV"] == "test-/app/index.PHP/extra/path"
    assert env["HTTP_X_FORWARDED_FOR"] == "127.0.0.1"


async def test_post_body_status_and_content_length(site, client, fcgi_port, tmp_path):
    s = await site([fcgi(fcgi_port, str(tmp_path))])

    async def chunked():
        yield b"a=1&"
        yield b"b=2"

    async with client.post(s.url + "/form.php", data=chunked(), skip_auto_headers=["Content-Type"]) as r:
        assert r.status == 201
        data = await r.json()
    assert data["stdin"] == "a=1&b=2"
    assert data["env"]["CONTENT_LENGTH"] == "7"
    assert data["env"]["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert data["env"]["REQUEST_METHOD"] == "POST"


async def test_dial_failure_is_502(site, client, tmp_path):
    from .test_proxy_basics import _dead_port

    s = await site([fcgi(_dead_port(), str(tmp_path))])
    async with client.get(s.url + "/x.php") as r:
        assert r.status == 502
