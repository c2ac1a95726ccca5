"""Selection policies, retries and health checks, with real upstreams that say who they are."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from .test_proxy_basics import _dead_port


def named(name: str, status: int = 200):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=name, status=status)
    return handler


def rp(ports: list[int], policy: dict | None = None, **extra: object) -> dict:
    cfg: dict = {"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{p}"} for p in ports]}
    lb = extra.pop("lb", {})
    if policy or lb:
        cfg["load_balancing"] = {**({"selection_policy": policy} if policy else {}), **lb}
    cfg.update(extra)
    return cfg


async def names(client, url: str, n: int, **kw) -> list[str]:
    out = []
    for _ in range(n):
        async with client.get(url, **kw) as r:
            out.append(await r.text())
    return out


@pytest.fixture
async def three(upstream) -> list[int]:
    return [await upstream(named(n)) for n in ("a", "b", "c")]


async def test_round_robin_starts_at_the_second_upstream_like_caddy(site, client, three):
    s = await site([rp(three, {"policy": "round_robin"})])
    assert await names(client, s.url, 6) == ["b", "c", "a", "b", "c", "a"]


async def test_weighted_round_robin(site, client, three):
    s = await site([rp(three, {"policy": "weighted_round_robin", "weights": [3, 1, 0]})])
    got = await names(client, s.url, 8)
    assert got.count("a") == 6 and got.count("b") == 2 and "c" not in got


async def test_first_uses_the_first_available(site, client, three):
    s = await site([rp(three, {"policy": "first"})])
    assert await names(client, s.url, 3) == ["a", "a", "a"]


@pytest.mark.parametrize("policy,kw", [
    ({"policy": "header", "field": "X-User"}, {"headers": {"X-User": "alice"}}),
    ({"policy": "query", "key": "u"}, {"params": {"u": "bob"}}),
    ({"policy": "uri_hash"}, {}),
    ({"policy": "ip_hash"}, {}),
    ({"policy": "client_ip_hash"}, {}),
])
async def test_hash_policies_are_sticky(site, client, three, policy, kw):
    s = await site([rp(three, policy)])
    got = await names(client, s.url + "/same", 5, **kw)
    assert len(set(got)) == 1


def holding(name: str, entered: asyncio.Event, gate: asyncio.Event):
    """An upstream that holds each request (after signalling `entered`) until `gate` is set."""
    async def handler(request: web.Request) -> web.Response:
        entered.set()
        await gate.wait()
        return web.Response(text=name)
    return handler


async def test_least_conn_and_random_choose_pick_idle_upstreams(site, client, upstream):
    gate, entered = asyncio.Event(), asyncio.Event()
    ports = [await upstream(holding("busy", entered, gate)), await upstream(named("idle"))]
    s = await site([rp(ports, {"policy": "least_conn"})])
    s2 = await site([rp(ports, {"policy": "random_choose", "choose": 2})])
    # park one request on "busy" through a handler with policy first
    s3 = await site([rp(ports, {"policy": "first"})])
    parked = asyncio.ensure_future(client.get(s3.url))
    await asyncio.wait_for(entered.wait(), 5)
    try:
        assert await names(client, s.url, 4) == ["idle"] * 4
        assert await names(client, s2.url, 4) == ["idle"] * 4
    finally:
        gate.set()
        (await parked).close()


async def test_cookie_policy_sets_a_sticky_cookie(site, client, three):
    s = await site([rp(three, {"policy": "cookie", "name": "lb", "secret": "s3"})])
    async with client.get(s.url) as r:
        first = await r.text()
        cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("lb=") and "Path=/" in cookie and "HttpOnly" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    client.cookie_jar.clear()
    got = await names(client, s.url, 5, headers={"Cookie": f"lb={value}"})
    assert got == [first] * 5


async def test_first_with_dead_first_upstream_502_then_skips_it(site, client, upstream):
    """RUNTIME-NOTES 2: without retries the first request fails; fail_duration helps after."""
    live = await upstream(named("live"))
    s = await site([rp([_dead_port(), live], {"policy": "first"},
                       health_checks={"passive": {"fail_duration": "1m"}})])
    async with client.get(s.url) as r:
        assert r.status == 502
    assert await names(client, s.url, 2) == ["live", "live"]


async def test_lb_retries_move_on_to_the_next_upstream(site, client, upstream):
    live = await upstream(named("live"))
    s = await site([rp([_dead_port(), live], {"policy": "first"}, lb={"retries": 2},
                       health_checks={"passive": {"fail_duration": "1m"}})])
    async with client.get(s.url) as r:
        assert r.status == 200 and await r.text() == "live"


async def test_retries_without_passive_checks_keep_picking_the_dead_first(site, client, upstream):
    live = await upstream(named("live"))
    s = await site([rp([_dead_port(), live], {"policy": "first"}, lb={"retries": 2})])
    async with client.get(s.url) as r:
        assert r.status == 502


async def test_try_duration_gives_up_with_502(site, client):
    s = await site([rp([_dead_port()], lb={"try_duration": "300ms", "try_interval": "50ms"})])
    async with client.get(s.url) as r:
        assert r.status == 502


def hangup(calls: list[str]):
    """An upstream that drops the connection without answering (a non-dial failure)."""
    async def handler(request: web.Request) -> web.Response:
        calls.append(request.method)
        assert request.transport is not None
        request.transport.close()
        return web.Response(text="never")
    return handler


async def test_post_is_not_retried_after_a_non_dial_error(site, client, upstream):
    calls: list[str] = []
    bad = await upstream(hangup(calls))
    live = await upstream(named("live"))
    s = await site([rp([bad, live], {"policy": "first"}, lb={"retries": 3})])
    async with client.post(s.url, data=b"x") as r:
        assert r.status == 502
    assert calls == ["POST"]
    async with client.get(s.url) as r:  # GET is retried (on the same host: no passive checks)
        assert r.status == 502
    assert calls[0] == "POST" and calls.count("GET") >= 4


async def test_passive_health_state_is_shared_across_handlers(site, client, upstream):
    """RUNTIME-NOTES 3: a failure seen by one route makes another route skip that host."""
    dead = _dead_port()
    live = await upstream(named("live"))
    passive = {"passive": {"fail_duration": "1m", "max_fails": 1}}
    one = await site([rp([dead], health_checks=passive)])
    two = await site([rp([dead, live], {"policy": "first"}, health_checks=passive)])
    async with client.get(one.url) as r:
        assert r.status == 502
    async with client.get(two.url) as r:
        assert r.status == 200 and await r.text() == "live"


async def test_unhealthy_status_marks_the_upstream_down(site, client, upstream):
    bad = await upstream(named("bad", 500))
    good = await upstream(named("good"))
    s = await site([rp([bad, good], {"policy": "first"},
                       health_checks={"passive": {"fail_duration": "1m", "unhealthy_status": [5]}})])
    assert await names(client, s.url, 3) == ["bad", "good", "good"]


async def test_unhealthy_request_count_limits_concurrency(site, client, upstream):
    gate, entered = asyncio.Event(), asyncio.Event()
    ports = [await upstream(holding("slow", entered, gate)), await upstream(named("other"))]
    s = await site([rp(ports, {"policy": "first"},
                       health_checks={"passive": {"unhealthy_request_count": 1}})])
    parked = asyncio.ensure_future(client.get(s.url))
    await asyncio.wait_for(entered.wait(), 5)
    try:
        assert await names(client, s.url, 2) == ["other", "other"]
    finally:
        gate.set()
        (await parked).close()


async def test_active_health_checks_take_a_failing_upstream_out(site, client, upstream):
    seen_headers: list[str] = []

    def app_for(name: str, healthy: bool):
        def routes(app: web.Application) -> None:
            async def health(request: web.Request) -> web.Response:
                seen_headers.append(request.headers.get("X-Check", ""))
                return web.Response(text="ok" if healthy else "nope", status=200 if healthy else 503)
            app.router.add_get("/health", health)
            app.router.add_get("/", named(name))
        return routes

    sick = await upstream(routes=app_for("sick", False))
    fine = await upstream(routes=app_for("fine", True))
    s = await site([rp([sick, fine], {"policy": "first"}, health_checks={"active": {
        "uri": "/health", "interval": "1h", "timeout": "2s", "expect_status": 2,
        "expect_body": "ok", "headers": {"X-Check": ["yes"]}}})])
    checker = s.handlers[0].active
    if checker.rounds == 0:
        await asyncio.wait_for(checker.round_done.wait(), 5)
    assert await names(client, s.url, 3) == ["fine"] * 3
    assert seen_headers == ["yes", "yes"]


async def test_no_available_upstream_is_503(site, client, upstream):
    bad = await upstream(named("bad", 500))
    s = await site([rp([bad], health_checks={"passive": {"fail_duration": "1m", "unhealthy_status": [500]}})])
    async with client.get(s.url) as r:
        assert r.status == 500
    async with client.get(s.url) as r:
        assert r.status == 503


async def test_upstreams_healthy_gauge(site, client, upstream):
    from prometheus_client import generate_latest

    from caddy_py.http.metrics import REGISTRY

    bad = await upstream(named("bad", 500))
    s = await site([rp([bad], health_checks={"passive": {"fail_duration": "1m", "unhealthy_status": [500]}})])
    line = f'caddy_reverse_proxy_upstreams_healthy{{upstream="127.0.0.1:{bad}"}}'
    assert f"{line} 1.0" in generate_latest(REGISTRY).decode()
    async with client.get(s.url) as r:
        assert r.status == 500
    assert f"{line} 0.0" in generate_latest(REGISTRY).decode()
    from caddy_py.modules.reverse_proxy.hosts import upstream_statuses

    assert {"address": f"127.0.0.1:{bad}", "num_requests": 0, "fails": 1} in upstream_statuses()
