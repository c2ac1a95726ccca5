"""Bad input on raw sockets, compared with the real caddy: malformed request lines, header lines
and chunked framing, oversized headers, bodies over `request_body max_size` when proxied, and
path traversal attempts on file_server that must never leave the root."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from tests.runtime_core.conftest import raw_http
from tests.runtime_core.diff import Pair

pytestmark = pytest.mark.timeout(60)

SECRET = b"TOP-SECRET-OUTSIDE-ROOT"


def status_line(resp: bytes) -> bytes:
    return resp.split(b"\r\n", 1)[0]


def status(resp: bytes) -> bytes:
    """The status code only: Go appends its reason (`400 Bad Request: invalid header name`)."""
    return status_line(resp)[9:12]


def site(root: Path, upstream: int):
    def make(port: int) -> str:
        return f"""{{
	admin off
}}
:{port} {{
	bind 127.0.0.1
	handle /up/* {{
		request_body {{
			max_size 8
		}}
		reverse_proxy 127.0.0.1:{upstream}
	}}
	handle /r/* {{
		respond "hi"
	}}
	handle /buf/* {{
		reverse_proxy 127.0.0.1:{upstream} {{
			request_buffers 4k
		}}
	}}
	handle {{
		root * {root}
		file_server
	}}
}}
"""
    return make


def get(target: bytes) -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


MALFORMED = [
    b"GET / FOO/1.1\r\nHost: x\r\n\r\n",
    b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n",                                  # bad method token
    b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\nConnection: close\r\n\r\n",   # bad header line
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: v\r\nConnection: close\r\n\r\n",   # space in name
    b"GET / HTTP/1.1\r\nHost: x\r\n: empty\r\nConnection: close\r\n\r\n",       # empty name
    b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\nConnection: close\r\n\r\n",     # NUL in value
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n",
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\nConnection: close\r\n\r\n",  # 431
    b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",  # 505: a well-formed version other than 1.x
    b"GET / HTTP/1.1\r\nHost: bad host\r\nConnection: close\r\n\r\n",  # 400 malformed Host header
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n",  # 501
]


def chunked(path: bytes, body: bytes, close: bool = True) -> bytes:
    return (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            + (b"Connection: close\r\n" if close else b"") + b"\r\n" + body)


HEX = b"zz\r\nab\r\n0\r\n\r\n"  # chunk size not hex
LONG = b"3\r\nabcdef\r\n0\r\n\r\n"  # chunk longer than its size

# Exchanges compared in full outline: every response's status and Connection header, and
# whether the connection then ends in a FIN or a reset.
EXCHANGES = [
    pytest.param(b"GET /\r\nHost: x\r\n\r\n", id="http09-request-line"),  # Go: 400, reset (unread bytes)
    pytest.param(b"GET /aaaaaaaaaaaaaaaa\r\nHost: x\r\n\r\n", id="http09-long-line"),  # 400, FIN
    pytest.param(b"GET /\r\nabcdefg", id="http09-14-bytes"),  # exactly Go's first peek: 400, FIN
    pytest.param(b"GET /\r\nabcdefgh", id="http09-15-bytes"),  # one byte more than it: reset
    pytest.param(b"GET\r\n\r\nabcdefghijklmn", id="short-bad-request-line"),  # 400, reset
    pytest.param(b"GET / HTTP/0.9\r\nHost: x\r\n\r\n", id="http09-explicit"),  # 505
    pytest.param(b"GET /r/ HTTP/1.1\r\nHost: x\r\n\r\nGET /\r\nHost: x\r\n\r\n", id="http09-second"),
    # the body error surfaces while proxying: 502; unread -> Connection: close
    pytest.param(chunked(b"/up/x", HEX), id="chunk-size-not-hex"),
    pytest.param(chunked(b"/up/x", LONG), id="chunk-longer-than-size"),
    pytest.param(chunked(b"/up/x", HEX, close=False), id="chunk-size-not-hex-keepalive"),
    # part of the body was read: the connection stays, what follows parses as garbage: 400
    pytest.param(chunked(b"/up/x", LONG, close=False), id="chunk-longer-than-size-keepalive"),
    pytest.param(chunked(b"/up/x", b"3\r\nabc\r\n2\r\nxyz\r\n0\r\n\r\n", close=False), id="second-chunk-long"),
    # a handler that never reads the body: answered, then closed
    pytest.param(chunked(b"/r/x", HEX, close=False), id="respond-chunk-size-not-hex"),
    pytest.param(chunked(b"/r/x", LONG, close=False), id="respond-chunk-longer-than-size"),
    pytest.param(b"GET /r/ HTTP/1.1\r\nHost: x\r\n\r\n" + chunked(b"/up/x", LONG, close=False), id="pipelined-then-bad-body"),
]

OVER_LIMIT = [
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\nConnection: close\r\n\r\n" + b"b" * 20,
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n14\r\n" + b"c" * 20
    + b"\r\n0\r\n\r\n",
    b"POST /up/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nfour",  # under: 200
]

TRAVERSAL = [get(t) for t in (
    b"/../outside.txt", b"/%2e%2e/outside.txt", b"/..%2foutside.txt", b"/%2e%2e%2foutside.txt",
    b"/docs/../../outside.txt", b"/docs/%2e%2e/%2e%2e/outside.txt", b"/docs/..%2f..%2foutside.txt",
    b"/..\\outside.txt", b"/docs/..\\..\\outside.txt", b"/%5c..%5coutside.txt", b"/docs/..%5c..%5coutside.txt",
    b"/outside.txt%00", b"/docs/a.txt%00.html", b"/%00../outside.txt", b"/./docs/./a.txt",
    b"/docs/a.txt", b"../outside.txt", b"/.%2e/outside.txt",
)]


@pytest.fixture
def www(tmp_path: Path) -> Path:
    (tmp_path / "outside.txt").write_bytes(SECRET)
    root = tmp_path / "www" / "inner"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "a.txt").write_text("inside a")
    (root / "index.html").write_text("home")
    (tmp_path / "www" / "outside.txt").write_bytes(SECRET)
    return root


async def test_malformed_and_oversized_requests_match_caddy(caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for data in MALFORMED:
            want = await raw_http(pair.ports["caddy"], data)
            got = await raw_http(pair.ports["py"], data)
            assert status(want) and status(got) == status(want), (data[:80], want[:80], got[:80])


async def test_go_written_error_answers_are_byte_identical(caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    """Answers Go writes by hand (no Date header): status line, headers and body all equal."""
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for data in MALFORMED[-3:]:
            want = await raw_http(pair.ports["caddy"], data)
            assert await raw_http(pair.ports["py"], data) == want, data[:80]


async def exchange(port: int, data: bytes, timeout: float = 5.0, shut: bool = False) -> tuple[bytes, str]:
    """Send raw bytes (then half-close if `shut`); everything read until the server closes,
    and how it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    if shut:
        writer.write_eof()
    got = b""
    try:
        while chunk := await asyncio.wait_for(reader.read(65536), timeout):
            got += chunk
        return got, "eof"
    except ConnectionResetError:
        return got, "reset"
    finally:
        writer.close()


RESPONSE_HEAD = re.compile(rb"HTTP/1\.\d (\d{3})[^\r]*\r\n((?:[^\r]+\r\n)*)\r\n")


def outline(got: bytes, ending: str) -> tuple[list[tuple[bytes, bool]], str]:
    return [(m[1], b"Connection: close" in m[2]) for m in RESPONSE_HEAD.finditer(got)], ending


async def test_request_line_and_chunked_body_errors_play_out_as_in_caddy(
        caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    differing = {}
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for case in EXCHANGES:
            want = outline(*await exchange(pair.ports["caddy"], case.values[0]))
            got = outline(*await exchange(pair.ports["py"], case.values[0]))
            assert want[0], (case.id, want)
            if case.id.startswith("respond"):  # answered, then closed: the body was never read
                assert want[0] == [(b"200", True)], (case.id, want)
            if got != want:
                differing[case.id] = (want, got)
    assert not differing


async def test_requests_then_half_close_are_answered_as_in_caddy(
        caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    """The client half-closes after sending: Go still answers what it got (a complete request
    normally; a versionless line or a torn request line with 400) before it closes."""
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for data in (b"GET /\r\n", b"GE", get(b"/docs/a.txt").replace(b"Connection: close\r\n", b"")):
            want = outline(*await exchange(pair.ports["caddy"], data, shut=True))
            got = outline(*await exchange(pair.ports["py"], data, shut=True))
            assert got == want, (data, want, got)
        assert want[1] == "eof"


async def _recording_upstream(seen: list[bytes], closed: asyncio.Event) -> asyncio.Server:
    """Records what the proxy sends on each connection until the proxy closes it."""
    async def conn(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        data = b""
        while chunk := await reader.read(65536):
            data += chunk
            if data.endswith(b"0\r\n\r\n"):  # a complete body: answer
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        seen.append(data)
        writer.close()
        closed.set()
    return await asyncio.start_server(conn, "127.0.0.1", 0)


@pytest.mark.parametrize("path", [b"/up/x", b"/buf/x"], ids=["streamed", "request_buffers"])
@pytest.mark.parametrize("body,sent", [(HEX, b""), (LONG, b"3\r\nabc\r\n")], ids=["not-hex", "too-long"])
async def test_what_reaches_the_upstream_of_a_malformed_chunked_body_is_what_caddy_sends(
        caddy_bin, caddy_env, tmp_path, www, body, sent, path):
    """The head, the chunks before the bad one, then the proxy closes without a last chunk
    (also when the body was being buffered: what was read is proxied, then the read fails)."""
    seen: list[bytes] = []
    closed = asyncio.Event()
    server = await _recording_upstream(seen, closed)
    port = server.sockets[0].getsockname()[1]
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, site(www, port)) as pair:
            bodies = []
            for name in ("caddy", "py"):
                closed.clear()
                got, _ = await exchange(pair.ports[name], chunked(path, body))
                assert got.startswith(b"HTTP/1.1 502 "), (name, got[:80])
                await asyncio.wait_for(closed.wait(), 5)
                head, _, rest = seen[-1].partition(b"\r\n\r\n")
                assert b"Transfer-Encoding: chunked" in head, (name, head)
                bodies.append(rest)
    finally:
        server.close()
    assert bodies == [sent, sent]


async def test_body_over_request_body_limit_is_413_through_the_proxy(caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for data in OVER_LIMIT:
            want = await raw_http(pair.ports["caddy"], data)
            got = await raw_http(pair.ports["py"], data)
            assert status(got) == status(want), data[:80]
        assert status(got) == b"200"
        assert status_line(await raw_http(pair.ports["py"], OVER_LIMIT[0])) == b"HTTP/1.1 413 Request Entity Too Large"


async def test_traversal_never_leaves_the_root_and_matches_caddy(caddy_bin, caddy_env, tmp_path, www, echo_upstream):
    async with Pair(caddy_bin, tmp_path, caddy_env, site(www, echo_upstream)) as pair:
        for data in TRAVERSAL:
            want = await raw_http(pair.ports["caddy"], data)
            got = await raw_http(pair.ports["py"], data)
            assert SECRET not in got, data
            assert status(got) == status(want), (data, want[:80], got[:80])
        assert b"inside a" in await raw_http(pair.ports["py"], get(b"/docs/a.txt"))
