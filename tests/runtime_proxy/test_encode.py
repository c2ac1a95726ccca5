"""encode: each algorithm, q-values and preference, minimum length, ETag suffix, streaming."""
from __future__ import annotations

import asyncio
import gzip
import zlib

import brotli
import pytest
import zstandard
from aiohttp import web

from caddy_py.modules.encode.handler import accepted_encodings

from .harness import Site, load

TEXT = ("hello caddy " * 200).encode()


class Responder:
    """A terminal handler for tests: a fixed response (what `respond`/file_server would do)."""

    def __init__(self, body: bytes = TEXT, ctype: str = "text/plain", status: int = 200,
                 headers: dict[str, str] | None = None, stream: list[bytes] | None = None,
                 gate: asyncio.Event | None = None) -> None:
        self.body, self.ctype, self.status = body, ctype, status
        self.headers = headers or {}
        self.stream, self.gate = stream, gate

    async def serve(self, req, next):
        if self.stream is None:
            return web.Response(body=self.body, status=self.status,
                                headers={"Content-Type": self.ctype, **self.headers})
        resp = web.StreamResponse(status=self.status, headers={"Content-Type": self.ctype, **self.headers})
        await resp.prepare(req.raw)
        for i, part in enumerate(self.stream):
            if i == 1 and self.gate is not None:
                await self.gate.wait()
            await resp.write(part)
        await resp.write_eof()
        return resp


async def encode_site(enc_cfg: dict, responder: Responder) -> Site:
    ctx, handlers = await load([{"handler": "encode", **enc_cfg}])
    return await Site(handlers + [responder], ctx).start()


@pytest.fixture
async def sites():
    made: list[Site] = []

    async def make(enc_cfg: dict, responder: Responder) -> Site:
        s = await encode_site(enc_cfg, responder)
        made.append(s)
        return s

    yield make
    for s in made:
        await s.close()


ALL = {"encodings": {"gzip": {}, "zstd": {}, "br": {}}}


@pytest.mark.parametrize("name,decode", [
    ("gzip", gzip.decompress),
    ("zstd", lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b)),
    ("br", brotli.decompress),
])
async def test_each_algorithm_round_trips(sites, client, name, decode):
    s = await sites(ALL, Responder(headers={"ETag": '"abc"'}))
    async with client.get(s.url, headers={"Accept-Encoding": name}) as r:
        assert r.headers["Content-Encoding"] == name
        assert r.headers["Vary"] == "Accept-Encoding"
        assert r.headers["ETag"] == f'"abc-{name}"'
        body = await r.read()
        assert r.headers["Content-Length"] == str(len(body))  # short result: sized like Go's server
        assert decode(body) == TEXT


async def test_large_results_are_chunked(sites, client):
    import os

    noise = os.urandom(6000).hex().encode()
    s = await sites(ALL, Responder(body=noise))
    async with client.get(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert "Content-Length" not in r.headers
        assert gzip.decompress(await r.read()) == noise


async def test_gzip_level_and_weak_etag_untouched(sites, client):
    s = await sites({"encodings": {"gzip": {"level": 9}}}, Responder(headers={"ETag": 'W/"w"'}))
    async with client.get(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["ETag"] == 'W/"w"'
        assert gzip.decompress(await r.read()) == TEXT


async def test_small_bodies_and_unmatched_types_are_not_encoded(sites, client):
    small = await sites(ALL, Responder(body=b"x" * 512))
    async with client.get(small.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert "Content-Encoding" not in r.headers and await r.read() == b"x" * 512
    img = await sites(ALL, Responder(ctype="image/png"))
    async with client.get(img.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert "Content-Encoding" not in r.headers and await r.read() == TEXT
    low = await sites({**ALL, "minimum_length": 10}, Responder(body=b"y" * 11))
    async with client.get(low.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"


async def test_no_accept_encoding_no_transform_and_preencoded(sites, client):
    s = await sites(ALL, Responder())
    async with client.get(s.url, skip_auto_headers=["Accept-Encoding"]) as r:
        assert "Content-Encoding" not in r.headers
    nt = await sites(ALL, Responder(headers={"Cache-Control": "no-transform"}))
    async with client.get(nt.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert "Content-Encoding" not in r.headers
    pre = await sites(ALL, Responder(body=gzip.compress(TEXT), headers={"Content-Encoding": "gzip"}))
    async with client.get(pre.url, headers={"Accept-Encoding": "zstd"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await r.read()) == TEXT


def test_q_values_then_preference():
    prefer = ["zstd", "br", "gzip"]
    assert accepted_encodings("gzip, zstd, br", False, prefer) == ["zstd", "br", "gzip"]
    assert accepted_encodings("gzip;q=1, zstd;q=0.5", False, prefer) == ["gzip", "zstd"]
    assert accepted_encodings("gzip;q=0, br", False, prefer) == ["br"]
    assert accepted_encodings("gzip, br", True, prefer) == []
    assert accepted_encodings("gzip, zstd", False, ["gzip", "zstd"]) == ["gzip", "zstd"]


async def test_prefer_order_picks_among_equal_q(sites, client):
    s = await sites({**ALL, "prefer": ["gzip", "zstd", "br"]}, Responder())
    async with client.get(s.url, headers={"Accept-Encoding": "br, zstd, gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"


async def test_if_none_match_with_our_suffix_is_stripped_for_the_handler(sites, client):
    seen: list[str] = []

    class Check(Responder):
        async def serve(self, req, next):
            seen.append(req.headers.get("If-None-Match", ""))
            return await super().serve(req, next)

    s = await sites(ALL, Check())
    async with client.get(s.url, headers={"Accept-Encoding": "gzip", "If-None-Match": '"abc-gzip"'}):
        pass
    assert seen == ['"abc"']


async def test_304_gets_vary(sites, client):
    s = await sites(ALL, Responder(body=b"", status=304))
    async with client.get(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.status == 304 and r.headers.get("Vary") == "Accept-Encoding"


async def test_streamed_response_is_encoded_incrementally(sites, client):
    gate = asyncio.Event()
    first = b"a" * 600
    s = await sites(ALL, Responder(stream=[first, b"b" * 600], gate=gate))
    async with client.get(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        d = zlib.decompressobj(31)
        got = b""
        while len(got) < len(first):
            got += d.decompress(await asyncio.wait_for(r.content.readany(), 5))
        assert got == first
        gate.set()
        got += d.decompress(await r.read()) + d.flush()
        assert got == first + b"b" * 600


async def test_head_gets_encoding_headers_without_body(sites, client):
    s = await sites(ALL, Responder())
    async with client.head(s.url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers.get("Content-Encoding") == "gzip"
        assert r.headers["Content-Length"] == "20"  # caddy: the empty gzip stream's size


async def test_http10_client_gets_an_encoded_body_ended_by_close(sites):
    import os

    noise = os.urandom(4000).hex().encode()
    s = await sites(ALL, Responder(body=noise))
    reader, writer = await asyncio.open_connection("127.0.0.1", s.port)
    writer.write(b"GET / HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
    data = await asyncio.wait_for(reader.read(), 5)  # returns at EOF: the server closed
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"Content-Encoding: gzip" in head and b"Transfer-Encoding" not in head
    assert gzip.decompress(body) == noise
