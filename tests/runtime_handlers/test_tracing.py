"""`tracing` without a collector: the trace context an upstream receives, the trace_id/span_id
vars and the access log fields, compared with caddy on the same Caddyfile (IDs are random, so
the comparison is on their shape: continued trace or new one, flags, tracestate, baggage)."""
from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from caddy_py.modules.tracing.w3c import normalise_baggage, parse_traceparent, parse_tracestate
from tests.runtime_core.diff import Pair
from tests.runtime_handlers.differ import start_upstream

pytestmark = pytest.mark.timeout(60)

TID, SID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
CADDYFILE = """{{
\tadmin off
}}
:{port} {{
\tlog {{
\t\toutput file {log}
\t}}
\ttracing {{
\t\tspan "{{http.request.method}} {{path}}"
\t\tspan_attributes {{
\t\t\tk v
\t\t}}
\t}}
\treverse_proxy 127.0.0.1:{up} {{
\t\theader_up X-Vars "{{http.vars.trace_id}} {{http.vars.span_id}}"
\t}}
}}
"""
CASES: list[dict[str, str]] = [
    {},
    {"traceparent": f"00-{TID}-{SID}-01", "tracestate": "a=b, c=d", "baggage": "k=v, k2 = v2;p"},
    {"traceparent": f"00-{TID}-{SID}-00"},
    {"traceparent": f"00-{TID}-{SID}-03"},
    {"traceparent": f"00-{TID}-{SID}-04"},  # version 00 allows no other flags: a new trace
    {"traceparent": f"01-{TID}-{SID}-07-future"},
    {"traceparent": f"ff-{TID}-{SID}-01"},
    {"traceparent": f"00-{TID.upper()}-{SID}-01"},
    {"traceparent": f"00-{'0' * 32}-{SID}-01"},
    {"traceparent": "garbage", "tracestate": "a=b"},
    {"traceparent": f"00-{TID}-{SID}-01", "tracestate": "A=b,a=1,a=2", "baggage": "bad"},
    {"traceparent": f"00-{TID}-{SID}-01", "tracestate": " x@y=z ", "baggage": "k=%41"},
]


async def _echo(request: web.Request) -> web.Response:
    names = ("Traceparent", "Tracestate", "Baggage", "X-Vars")
    return web.json_response({n: request.headers.getall(n, []) for n in names})


def _shape(got: dict[str, list[str]]) -> tuple[Any, ...]:
    """What must match caddy: everything but the random IDs, which are checked for consistency."""
    (tp,) = got["Traceparent"]
    version, tid, sid, flags = tp.split("-")
    assert re.fullmatch("[0-9a-f]{32}", tid) and re.fullmatch("[0-9a-f]{16}", sid) and sid != SID
    assert got["X-Vars"] == [f"{tid} {sid}"]
    # Go serialises baggage members from a map: their order varies from run to run
    baggage = [sorted(b.split(",")) for b in got["Baggage"]]
    return version, "continued" if tid == TID else "new", flags, got["Tracestate"], baggage


async def _get(port: int, headers: dict[str, str], session: aiohttp.ClientSession) -> dict[str, list[str]]:
    async with session.get(f"http://127.0.0.1:{port}/p", headers=headers) as r:
        assert r.status == 200
        return await r.json()


async def test_tracing_propagates_like_caddy(caddy_bin, caddy_env, tmp_path) -> None:
    runner, up = await start_upstream(_echo)
    logs = {}

    def make(port: int) -> str:
        logs[port] = tmp_path / f"trace-{port}.log"
        return CADDYFILE.format(port=port, log=logs[port], up=up)

    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
            seen: dict[str, list[dict[str, list[str]]]] = {}
            for name, port in pair.ports.items():
                # one connection: each entry is written before the next request is answered
                async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
                    seen[name] = [await _get(port, h, s) for h in CASES]
                    await _get(port, {}, s)  # barrier for the last case's log entry
            for case, want, got in zip(CASES, seen["caddy"], seen["py"]):
                assert _shape(got) == _shape(want), case
            for name, port in pair.ports.items():
                entries = [json.loads(line) for line in logs[port].read_text().splitlines()]
                for entry, echoed, case in zip(entries, seen[name], CASES):
                    tid, sid = echoed["X-Vars"][0].split()
                    assert (entry["traceID"], entry["spanID"]) == (tid, sid)
                    assert list(entry)[-2:] == ["traceID", "spanID"]
                    # the entry shows the request as it arrived, not the injected context
                    sent = [case["traceparent"]] if "traceparent" in case else None
                    assert entry["request"]["headers"].get("Traceparent") == sent, name
    finally:
        await runner.cleanup()


def test_w3c_parsing_edges() -> None:
    assert parse_traceparent(f"00-{TID}-{SID}-01", "") is not None
    assert parse_traceparent(f"00-{TID}-{SID}-01-", "") is None
    assert parse_traceparent(f"00-{TID}-{'0' * 16}-01", "") is None
    assert parse_traceparent(f"00-{TID}-{SID}-1", "") is None
    assert parse_traceparent(f"fe-{TID}-{SID}-01", "").flags == 1
    assert parse_tracestate("a=b,,c=d") == "a=b,c=d"
    assert parse_tracestate(",".join(f"k{i}=v" for i in range(33))) == ""
    assert normalise_baggage("k=a b") is None and normalise_baggage("k=a%20b") == "k=a%20b"
