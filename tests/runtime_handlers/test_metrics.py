"""HTTP metrics: scrape the `metrics` handler around a known workload and check the deltas."""
from __future__ import annotations

import gzip

import pytest
from prometheus_client.parser import text_string_to_metric_families

from caddy_py.http.metrics import sanitize_code, sanitize_method
from tests.runtime_core.conftest import respond

pytestmark = pytest.mark.timeout(60)


def _config(metrics: dict, name: str) -> dict:
    routes = [
        {"match": [{"path": ["/metrics"]}], "handle": [{"handler": "metrics"}], "terminal": True},
        {"match": [{"host": ["known.test"]}], "handle": [respond("known")], "terminal": True},
        {"match": [{"path": ["/fail"]}], "handle": [{"handler": "error", "status_code": 502}], "terminal": True},
        {"handle": [respond("x" * 300, 201)]},
    ]
    # a host matcher would turn on automatic HTTPS for this listener, as in Caddy
    srv = {"listen": ["127.0.0.1:0"], "routes": routes, "automatic_https": {"disable": True}}
    return {"admin": {"disabled": True}, "apps": {"http": {"metrics": metrics, "servers": {name: srv}}}}


async def _scrape(s, server: str) -> dict[tuple[str, tuple], float]:
    _, headers, text = await s.get("/metrics")
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    out = {}
    for fam in text_string_to_metric_families(text):
        for smp in fam.samples:
            if smp.labels.get("server", server) == server:
                out[(smp.name, tuple(sorted((k, v) for k, v in smp.labels.items() if k != "server")))] = smp.value
    return out


def _delta(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_requests_are_counted_per_route_handler(serve):
    s = await serve(_config({}, "srv0"))
    before = await _scrape(s, "srv0")
    for _ in range(3):
        assert (await s.get("/page"))[0] == 201
    assert (await s.request("POST", "/page", data=b"abcd"))[0] == 201
    assert (await s.get("/fail"))[0] == 502
    after = await _scrape(s, "srv0")

    d = lambda name, **kw: _delta(before, after, name, **kw)  # noqa: E731
    assert d("caddy_http_requests_total", handler="static_response") == 4
    assert d("caddy_http_requests_total", handler="error") == 1
    assert d("caddy_http_request_errors_total", handler="error") == 1
    assert d("caddy_http_request_duration_seconds_count", handler="static_response", code="201", method="GET") == 3
    assert d("caddy_http_request_duration_seconds_count", handler="static_response", code="201", method="POST") == 1
    assert d("caddy_http_request_duration_seconds_count", handler="error", code="502", method="GET") == 1
    assert d("caddy_http_response_duration_seconds_count", handler="static_response", code="201", method="GET") == 3
    # 300-byte bodies: above the 256 bucket, within 1024
    size = dict(handler="static_response", code="201", method="GET")
    assert d("caddy_http_response_size_bytes_sum", **size) == 900
    assert d("caddy_http_response_size_bytes_bucket", le="256.0", **size) == 0
    assert d("caddy_http_response_size_bytes_bucket", le="1024.0", **size) == 3
    assert d("caddy_http_requests_in_flight", handler="static_response") == 0
    # the scrape itself is counted under the metrics handler (previous scrape completed)
    assert d("caddy_http_requests_total", handler="metrics") == 1


async def test_per_host_labels_guard_cardinality(serve):
    s = await serve(_config({"per_host": True}, "srv0"))
    before = await _scrape(s, "srv0")
    await s.get("/", headers={"Host": "known.test"})
    await s.get("/", headers={"Host": "random.test"})
    after = await _scrape(s, "srv0")
    assert _delta(before, after, "caddy_http_requests_total", handler="static_response", host="known.test") == 1
    assert _delta(before, after, "caddy_http_requests_total", handler="static_response", host="_other") == 1


async def test_openmetrics_and_gzip_are_negotiated(serve):
    s = await serve(_config({}, "srv0"))
    await s.get("/page")
    async with s.session.get(s.url("/metrics"), headers={"Accept": "application/openmetrics-text; version=1.0.0",
                                                         "Accept-Encoding": "gzip"}, auto_decompress=False) as r:
        body = gzip.decompress(await r.read()).decode()
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.rstrip().endswith("# EOF")
    assert "caddy_http_requests_total{" in body and "caddy_http_requests_created" not in body


async def test_nothing_is_observed_without_the_metrics_option(serve):
    cfg = _config({}, "srv0")
    del cfg["apps"]["http"]["metrics"]
    s = await serve(cfg)
    before = await _scrape(s, "srv0")
    await s.get("/page")
    after = await _scrape(s, "srv0")
    assert _delta(before, after, "caddy_http_requests_total", handler="static_response") == 0


def test_label_sanitizing_matches_caddy():
    assert [sanitize_code(c) for c in (0, 200, 404)] == ["200", "200", "404"]
    assert [sanitize_method(m) for m in ("GET", "get", "Get", "PROPFIND")] == ["GET", "GET", "OTHER", "OTHER"]


async def test_series_match_caddy(caddy_bin, caddy_env, tmp_path):
    from tests.runtime_core.diff import Pair, Req
    from tests.runtime_handlers.differ import fetch

    from aiohttp import web

    from tests.runtime_handlers.differ import start_upstream

    async def chunked(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        for piece in (b"a" * 700, b"b" * 3000, b"c"):
            await resp.write(piece)
        await resp.write_eof()
        return resp

    runner, up = await start_upstream(chunked)

    def make(port: int) -> dict:
        cfg = _config({"per_host": True}, "srv0")
        srv = cfg["apps"]["http"]["servers"]["srv0"]
        srv["listen"] = [f"127.0.0.1:{port}"]
        srv["routes"].insert(0, {"match": [{"path": ["/stream"]}], "terminal": True, "handle": [
            {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]})
        return cfg

    workload = [Req("GET", "/a"), Req("GET", "/", headers={"Host": "known.test"}), Req("GET", "/fail"),
                Req("POST", "/a", body=b"abcdef"), Req("PROPFIND", "/a"), Req("GET", "/metrics"),
                Req("GET", "/stream")]
    scraped = {}
    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
            for name, port in pair.ports.items():
                for req in workload:
                    await fetch(port, req, ())
                _, _, body = await fetch(port, Req("GET", "/metrics"), ())
                scraped[name] = (gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body).decode()
    finally:
        await runner.cleanup()

    def series(text: str) -> dict:
        out = {}
        for fam in text_string_to_metric_families(text):
            if not fam.name.startswith("caddy_http"):
                continue
            for smp in fam.samples:
                if smp.name.endswith("_sum") and "duration" in smp.name:
                    continue  # timings differ
                if smp.name.endswith("_bucket") and "duration" in smp.name:
                    continue
                if smp.labels.get("handler") == "metrics" and "size" in smp.name:
                    continue  # the scrapes themselves differ (different process metrics)
                # Go prints le="1024", Python le="1024.0": the same bound to Prometheus
                labels = tuple(sorted((k, str(float(v)) if k == "le" else v)
                                      for k, v in smp.labels.items() if k != "server"))
                out[(smp.name, labels)] = smp.value
        return out

    want, got = series(scraped["caddy"]), series(scraped["py"])
    assert got == want
    assert want[("caddy_http_requests_total", (("handler", "static_response"), ("host", "_other")))] == 3
    streamed = ("caddy_http_response_size_bytes_sum",
                (("code", "200"), ("handler", "reverse_proxy"), ("host", "_other"), ("method", "GET")))
    assert got[streamed] == 3701
