"""The admin API in-process: config reads, /load (JSON and Caddyfile), origin checks, metrics, stop."""
from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from caddy_py.config.runtime import Runtime
from tests.runtime_core.conftest import respond
from tests.runtime_core.diff import free_port


@pytest.fixture
async def admin():
    """(runtime, admin port, http port) with the admin API on 127.0.0.1."""
    rt = Runtime()
    aport, hport = free_port(), free_port()
    cfg = {"admin": {"listen": f"127.0.0.1:{aport}"},
           "apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{hport}"], "routes": [
               {"handle": [respond("first")]}]}}}}}
    await rt.load(cfg)
    yield rt, aport, hport
    await asyncio.wait_for(rt.stop(), 10)


async def call(port: int, method: str, path: str, **kw) -> tuple[int, str, dict]:
    async with aiohttp.ClientSession() as s:
        async with s.request(method, f"http://127.0.0.1:{port}{path}", **kw) as r:
            return r.status, await r.text(), dict(r.headers)


async def test_get_config_and_paths(admin):
    _, aport, hport = admin
    status, body, headers = await call(aport, "GET", "/config/")
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["apps"]["http"]["servers"]["srv0"]["listen"] == [f"127.0.0.1:{hport}"]
    status, body, _ = await call(aport, "GET", "/config/apps/http/servers/srv0/listen/0")
    assert (status, body) == (200, f'"127.0.0.1:{hport}"\n')
    status, body, _ = await call(aport, "GET", "/config/apps/nope/deeper")
    assert status == 400 and json.loads(body)["error"] == "invalid traversal path at: config/apps/nope/deeper"


async def test_load_json_and_bad_load(admin):
    rt, aport, hport = admin
    new = {"admin": {"listen": f"127.0.0.1:{aport}"},
           "apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{hport}"], "routes": [
               {"handle": [respond("second")]}]}}}}}
    status, _, _ = await call(aport, "POST", "/load", json=new)
    assert status == 200
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{hport}/") as r:
            assert await r.text() == "second"
    status, body, _ = await call(aport, "POST", "/load", data=b"{nope", headers={"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["error"].startswith("loading config: ")
    assert rt.config["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["body"] == "second"


async def test_load_caddyfile(admin):
    _, aport, hport = admin
    text = f"{{\n\tadmin 127.0.0.1:{aport}\n}}\n\nhttp://127.0.0.1:{hport} {{\n\trespond \"from caddyfile\"\n}}\n"
    status, body, _ = await call(aport, "POST", "/load", data=text.encode(), headers={"Content-Type": "text/caddyfile"})
    assert status == 200, body
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{hport}/") as r:
            assert await r.text() == "from caddyfile"


async def test_host_and_origin_checks(admin):
    _, aport, _ = admin
    status, body, _ = await call(aport, "GET", "/config/", headers={"Host": "evil.example:80"})
    assert (status, json.loads(body)) == (403, {"error": "host not allowed: evil.example:80"})
    status, body, _ = await call(aport, "GET", "/config/", headers={"Origin": "http://evil.example"})
    assert status == 403 and "evil.example" in json.loads(body)["error"]
    status, _, headers = await call(aport, "GET", "/config/", headers={"Origin": f"http://localhost:{aport}"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == f"http://localhost:{aport}"
    status, _, _ = await call(aport, "GET", "/config/", headers={"Origin": "null"})
    assert status == 400


async def test_metrics_endpoint(admin):
    _, aport, _ = admin
    status, body, headers = await call(aport, "GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "caddy_config_last_reload_successful 1.0" in body
    await call(aport, "GET", "/config/")
    _, body, _ = await call(aport, "GET", "/metrics")
    assert 'caddy_admin_http_requests_total{code="200",handler="config",method="GET",path="/config/"}' in body


async def test_stop(admin):
    rt, aport, hport = admin
    status, _, _ = await call(aport, "POST", "/stop")
    assert status == 200
    await asyncio.wait_for(rt.stopped.wait(), 10)
    with pytest.raises(aiohttp.ClientConnectorError):
        await call(hport, "GET", "/")


async def test_wrong_method(admin):
    _, aport, _ = admin
    status, body, _ = await call(aport, "OPTIONS", "/config/")
    assert (status, json.loads(body)) == (405, {"error": "method OPTIONS not allowed"})
    status, body, _ = await call(aport, "GET", "/load")
    assert (status, json.loads(body)) == (405, {"error": "method not allowed"})


async def test_config_mutations(admin):
    rt, aport, hport = admin
    base = "/config/apps/http/servers/srv0/routes"
    new_route = {"match": [{"path": ["/added"]}], "handle": [respond("added")]}
    status, _, _ = await call(aport, "PUT", f"{base}/0", json=new_route)
    assert status == 200
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{hport}/added") as r:
            assert await r.text() == "added"
    status, _, _ = await call(aport, "PATCH", f"{base}/1/handle/0/body", json="patched")
    assert status == 200
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{hport}/other") as r:
            assert await r.text() == "patched"
    status, body, _ = await call(aport, "PUT", "/config/apps/http/servers/srv0/listen", json=[])
    assert status == 409 and "key already exists: listen" in json.loads(body)["error"]
    status, body, _ = await call(aport, "DELETE", "/config/apps/http/nope")
    assert status == 404 and "key does not exist: nope" in json.loads(body)["error"]
    status, body, _ = await call(aport, "POST", f"{base}/...", data=b"{}", headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)) == (400, {"error": "final element is not an array"})
    status, body, _ = await call(aport, "POST", f"{base}", data=b"[]", headers={"Content-Type": "text/plain"})
    assert status == 400 and "unacceptable content-type" in json.loads(body)["error"]
    status, _, _ = await call(aport, "DELETE", f"{base}/0")
    assert status == 200
    assert len(rt.config["apps"]["http"]["servers"]["srv0"]["routes"]) == 1
    status, body, _ = await call(aport, "GET", "/config/apps/http/servers/srv0/missing")
    assert (status, body) == (200, "null\n")
    status, body, _ = await call(aport, "GET", f"{base}/7")
    assert status == 400 and "array index out of bounds: 7" in json.loads(body)["error"]


async def test_unknown_admin_path(admin):
    _, aport, _ = admin
    status, body, headers = await call(aport, "POST", "/nothing")
    assert (status, body, headers["Content-Type"]) == (404, "404 page not found\n", "text/plain; charset=utf-8")
