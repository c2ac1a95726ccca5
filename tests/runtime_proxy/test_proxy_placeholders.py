"""The `{http.reverse_proxy.*}` placeholders: their values and when each becomes available
(upstream.* at selection, status/header/latency once the response head arrives, duration and
retries only after the proxy loop). They are computed on read, so these tests pin that reading
them anywhere gives what setting them eagerly gave."""
from __future__ import annotations

import json
import re

from aiohttp import web

from tests.runtime_core.diff import free_port

UPSTREAM_KEYS = ("address", "hostport", "host", "port", "requests", "max_requests", "fails")


def rp(ports: list[int], **extra: object) -> dict:
    return {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{p}", "max_requests": 7}
                                                      for p in ports], **extra}


async def echo_headers(request: web.Request) -> web.Response:
    got = {k: v for k, v in request.headers.items() if k.startswith("X-P-")}
    return web.Response(text=json.dumps(got), status=int(request.query.get("s", "200")),
                        headers={"X-Up": "a", "x-lower": "b"})


async def test_upstream_placeholders_in_request_header_ops(site, upstream, client):
    port = await upstream(echo_headers)
    s = await site([rp([port], headers={"request": {"set": {
        f"X-P-{k}": [f"{{http.reverse_proxy.upstream.{k}}}"] for k in UPSTREAM_KEYS}}})])
    async with client.get(s.url) as r:
        got = json.loads(await r.text())
    assert got == {"X-P-address": f"127.0.0.1:{port}", "X-P-hostport": f"127.0.0.1:{port}",
                   "X-P-host": "127.0.0.1", "X-P-port": str(port), "X-P-requests": "0",
                   "X-P-max_requests": "7", "X-P-fails": "0"}


async def test_response_placeholders_in_response_header_ops(site, upstream, client):
    port = await upstream(echo_headers)
    keys = {"Status": "status_code", "Text": "status_text", "Hdr": "header.X-Up",
            "Lower": "header.x-lower", "Wrongcase": "header.X-Lower", "Missing": "header.X-None",
            "Latency": "upstream.latency", "Latency-Ms": "upstream.latency_ms",
            "Duration": "duration", "Retries": "retries", "Up-Duration": "upstream.duration",
            "Hostport": "upstream.hostport"}
    s = await site([rp([port], headers={"response": {"set": {
        f"X-R-{h}": [f"[{{http.reverse_proxy.{k}}}]"] for h, k in keys.items()}}})])
    async with client.get(s.url + "/?s=201") as r:
        h = r.headers
        assert r.status == 201
    assert (h["X-R-Status"], h["X-R-Text"], h["X-R-Hdr"], h["X-R-Lower"]) == ("[201]", "[201 Created]", "[a]", "[b]")
    # header names are matched as the upstream wrote them; unknown ones stay as written
    assert h["X-R-Wrongcase"] == "[{http.reverse_proxy.header.X-Lower}]"
    assert h["X-R-Missing"] == "[{http.reverse_proxy.header.X-None}]"
    assert re.fullmatch(r"\[\d+(\.\d+)?\]", h["X-R-Latency"]) and re.fullmatch(r"\[\d+(\.\d+)?\]", h["X-R-Latency-Ms"])
    # set only after the proxy loop / once the body was copied: not yet known here
    for k in ("Duration", "Retries", "Up-Duration"):
        assert h[f"X-R-{k}"] == f"[{{http.reverse_proxy.{keys[k]}}}]"
    assert h["X-R-Hostport"] == f"[127.0.0.1:{port}]"


async def test_placeholders_of_the_last_attempt_in_handle_response(site, upstream, client):
    dead = free_port()  # nothing listens there: the first attempt fails to dial
    port = await upstream(echo_headers)
    body = " ".join(f"{{http.reverse_proxy.{k}}}" for k in (
        "upstream.port", "upstream.fails", "status_code", "status_text", "header.X-Up", "retries"))
    s = await site([rp([dead, port], load_balancing={
        "selection_policy": {"policy": "first"}, "retries": 1},
        health_checks={"passive": {"fail_duration": "10s"}},
        handle_response=[{"match": {"status_code": [4]}, "routes": [{"handle": [
            {"handler": "static_response", "status_code": 200, "body": body}]}]}])])
    async with client.get(s.url + "/?s=404") as r:
        assert r.status == 200
        # the retry went to the second upstream; `retries` is only set after the loop
        assert await r.text() == f"{port} 0 404 404 Not Found a {{http.reverse_proxy.retries}}"
