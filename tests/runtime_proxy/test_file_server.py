"""file_server on a real directory: index, canonical redirects, precompressed sidecars, ETag and
Last-Modified, 304, ranges, 405, browse (HTML/JSON), hide, and traversal attempts."""
from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from .harness import Site, load


@pytest.fixture
def www(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    (root / "docs").mkdir(parents=True)
    (root / "empty").mkdir()
    (root / "index.html").write_text("<h1>home</h1>")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "a.txt").write_text("0123456789" * 10)
    (root / "page.css").write_text("body{}" * 50)
    (root / "page.css.gz").write_bytes(gzip.compress(b"body{}" * 50))
    (root / "page.css.br").write_bytes(b"not really brotli")
    (root / "secret.key").write_text("hidden")
    (root / "noext").write_bytes(b"\x00\x01")
    (tmp_path / "outside.txt").write_text("outside")
    return root


@pytest.fixture
async def fs_site(www: Path):
    made: list[Site] = []

    async def make(**cfg) -> Site:
        ctx, handlers = await load([{"handler": "file_server", "root": str(www), **cfg}])
        s = await Site(handlers, ctx).start()
        made.append(s)
        return s

    yield make
    for s in made:
        await s.close()


async def test_file_headers_and_content(fs_site, client, www):
    s = await fs_site()
    async with client.get(s.url + "/a.txt") as r:
        assert r.status == 200
        assert await r.text() == "0123456789" * 10
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers["Content-Length"] == "100"
        assert r.headers["Accept-Ranges"] == "bytes"
        assert r.headers["Vary"] == "Accept-Encoding"
        st = os.stat(www / "a.txt")
        assert r.headers["ETag"].startswith('"') and r.headers["ETag"].endswith('-2s"')
        assert "Last-Modified" in r.headers
    async with client.get(s.url + "/noext") as r:
        assert "Content-Type" not in r.headers
        assert await r.read() == b"\x00\x01"
    assert st.st_size == 100


async def test_index_and_canonical_redirects(fs_site, client):
    s = await fs_site()
    async with client.get(s.url + "/") as r:
        assert r.status == 200 and await r.text() == "<h1>home</h1>"
    async with client.get(s.url + "/docs?x=1", allow_redirects=False) as r:
        assert r.status == 308 and r.headers["Location"] == "/docs/?x=1"
    async with client.get(s.url + "/a.txt/", allow_redirects=False) as r:
        assert r.status == 308 and r.headers["Location"] == "/a.txt"
    async with client.get(s.url + "/index.html", allow_redirects=False) as r:
        assert r.status == 200 and await r.text() == "<h1>home</h1>"
    async with client.get(s.url + "/empty/", allow_redirects=False) as r:
        assert r.status == 404


async def test_precompressed_sidecars(fs_site, client):
    s = await fs_site(precompressed={"gzip": {}, "br": {}}, precompressed_order=["br", "gzip"])
    async with client.get(s.url + "/page.css", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["Content-Type"] == "text/css; charset=utf-8"
        assert r.headers["Vary"] == "Accept-Encoding"
        assert gzip.decompress(await r.read()) == b"body{}" * 50
    async with client.get(s.url + "/page.css", headers={"Accept-Encoding": "gzip, br"}) as r:
        assert r.headers["Content-Encoding"] == "br"
        assert await r.read() == b"not really brotli"
    async with client.get(s.url + "/page.css", headers={"Accept-Encoding": "identity"}) as r:
        assert "Content-Encoding" not in r.headers
        assert await r.read() == b"body{}" * 50


async def test_conditional_requests(fs_site, client):
    s = await fs_site()
    async with client.get(s.url + "/a.txt") as r:
        etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    async with client.get(s.url + "/a.txt", headers={"If-None-Match": etag}) as r:
        assert r.status == 304
        assert r.headers["ETag"] == etag and "Last-Modified" not in r.headers
        assert r.headers["Vary"] == "Accept-Encoding"
    async with client.get(s.url + "/a.txt", headers={"If-Modified-Since": lm}) as r:
        assert r.status == 304
    async with client.get(s.url + "/a.txt", headers={"If-Match": '"nope"'}) as r:
        assert r.status == 412


async def test_ranges(fs_site, client):
    s = await fs_site()
    async with client.get(s.url + "/a.txt", headers={"Range": "bytes=2-5"}) as r:
        assert r.status == 206
        assert r.headers["Content-Range"] == "bytes 2-5/100"
        assert await r.read() == b"2345"
    async with client.get(s.url + "/a.txt", headers={"Range": "bytes=-3"}) as r:
        assert r.status == 206 and await r.read() == b"789"
    async with client.get(s.url + "/a.txt", headers={"Range": "bytes=0-1,4-5"}) as r:
        assert r.status == 206
        assert r.headers["Content-Type"].startswith("multipart/byteranges; boundary=")
        body = await r.read()
        assert b"Content-Range: bytes 0-1/100" in body and b"Content-Range: bytes 4-5/100" in body
    async with client.get(s.url + "/a.txt", headers={"Range": "bytes=500-"}) as r:
        assert r.status == 416 and r.headers["Content-Range"] == "bytes */100"
    async with client.get(s.url + "/a.txt", headers={"Range": "bytes=2-5", "If-Range": '"old"'}) as r:
        assert r.status == 200


async def test_post_to_a_file_is_405_with_allow(fs_site, client):
    s = await fs_site()
    async with client.post(s.url + "/a.txt", data=b"x") as r:
        assert r.status == 405
        assert r.headers["Allow"] == "GET, HEAD"
        assert r.headers["Vary"] == "Accept-Encoding"
    async with client.post(s.url + "/missing") as r:
        assert r.status == 404


async def test_hide_and_pass_thru(fs_site, client):
    s = await fs_site(hide=["*.key"])
    async with client.get(s.url + "/secret.key") as r:
        assert r.status == 404
    p = await fs_site(pass_thru=True)
    async with client.get(p.url + "/missing") as r:
        assert r.status == 200 and await r.read() == b""


async def test_status_override(fs_site, client):
    s = await fs_site(status_code=418)
    async with client.get(s.url + "/a.txt") as r:
        assert r.status == 418 and len(await r.read()) == 100


@pytest.mark.parametrize("path", [
    "/../outside.txt", "/%2e%2e/outside.txt", "/docs/%2e%2e/%2e%2e/outside.txt",
    "/..%2foutside.txt", "/docs/..%2f..%2foutside.txt", "/%2e%2e%2foutside.txt",
    "//../outside.txt", "/docs/../../../../outside.txt",
])
async def test_traversal_never_leaves_the_root(fs_site, client, path):
    s = await fs_site()
    import aiohttp
    from yarl import URL

    async with client.get(URL(s.url + path, encoded=True)) as r:
        assert r.status == 404
        assert b"outside" not in await r.read()


async def test_symlinks_are_followed_like_caddy(fs_site, client, www):
    (www / "link.txt").symlink_to(www.parent / "outside.txt")
    s = await fs_site()
    async with client.get(s.url + "/link.txt") as r:
        assert r.status == 200 and await r.text() == "outside"


async def test_browse_html_and_json(fs_site, client, www):
    s = await fs_site(browse={}, index_names=[])
    async with client.get(s.url + "/docs", allow_redirects=False) as r:
        assert r.status == 308 and r.headers["Location"] == "/docs/"
    async with client.get(s.url + "/", headers={"Accept": "application/json"}) as r:
        assert r.headers["Content-Type"] == "application/json; charset=utf-8"
        assert r.headers["Vary"] == "Accept, Accept-Encoding"
        items = await r.json()
    names = [i["name"] for i in items]
    assert names[:2] == ["docs/", "empty/"]
    a = next(i for i in items if i["name"] == "a.txt")
    assert a["size"] == 100 and a["url"] == "./a.txt" and a["is_dir"] is False
    assert set(a) == {"name", "size", "url", "mod_time", "mode", "is_dir", "is_symlink"}
    async with client.get(s.url + "/") as r:
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        page = await r.text()
        assert 'href="./a.txt"' in page
    async with client.get(s.url + "/?sort=size&order=desc&limit=2", headers={"Accept": "application/json"}) as r:
        items = await r.json()
        assert len(items) == 2
        assert "sort=size" in r.headers.getall("Set-Cookie")[0]
