"""The notifier served by `caddy-py run` as a process from a Caddyfile: two sites sharing one
upstream, SIGHUP reload with subscribers connected, metrics after a known workload, and a
backend restart. Readiness and reloads are awaited by polling with a timeout."""
from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import aiohttp
import pytest

from tests.runtime_core.diff import free_port, stop_server, wait_port

from .conftest import TIMEOUT, Backend
from .test_e2e import subscribe

pytestmark = pytest.mark.timeout(60)
ROOT = Path(__file__).resolve().parents[2]


async def poll(check: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)  # polling a process's observable state, not waiting on timing


class CaddyPy:
    """`caddy-py run --config Caddyfile --adapter caddyfile` in tmp_path; its log in a file."""

    def __init__(self, tmp_path: Path, caddyfile: str) -> None:
        self.path = tmp_path / "Caddyfile"
        self.log_path = tmp_path / "caddy-py.log"
        self.write(caddyfile)
        self.log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "caddy_py", "run", "--config", str(self.path), "--adapter", "caddyfile"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)

    def write(self, text: str) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.replace(self.path)  # atomically: a SIGHUP never reads a half-written file

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def reload(self, text: str) -> None:
        before = self.log_text().count("successfully reloaded config from file")
        self.write(text)
        self.proc.send_signal(signal.SIGHUP)
        await poll(lambda: self.log_text().count("successfully reloaded config from file") > before,
                   f"no reload logged: {self.log_text()[-2000:]}")

    def stop(self) -> None:
        stop_server(self.proc)
        self.log.close()


@pytest.fixture
async def caddy_py(tmp_path: Path):
    started: list[CaddyPy] = []

    async def run(caddyfile: str, *ports: int) -> CaddyPy:
        p = CaddyPy(tmp_path, caddyfile)
        started.append(p)
        for port in ports:
            await wait_port(port, p.proc)
        return p

    yield run
    for p in started:
        p.stop()


def site(port: int, upstream: str, extra: str = "") -> str:
    return (f"http://127.0.0.1:{port} {{\n\twebsocket_notifier {upstream} {{\n"
            f"\t\trecovery_wait 50ms\n{extra}\t}}\n}}\n")


def global_options(admin: int | None = None) -> str:
    return f"{{\n\tadmin 127.0.0.1:{admin}\n\tmetrics\n}}\n" if admin else "{\n\tadmin off\n}\n"


async def scrape(admin: int) -> dict[str, float]:
    """The notifier's series on the admin /metrics endpoint, by name{labels} without upstream."""
    async with aiohttp.ClientSession() as s:
        async with s.get(f"http://127.0.0.1:{admin}/metrics") as r:
            assert r.status == 200
            text = await r.text()
    series = {}
    for line in text.splitlines():
        if line.startswith("caddy_websocket_notifier_"):
            name, value = line.rsplit(" ", 1)
            series[re.sub(r',?upstream="[^"]*"', "", name).replace("{}", "")] = float(value)
    return series


async def scrape_until(admin: int, name: str, want: float) -> None:
    deadline = time.monotonic() + TIMEOUT
    while (got := (await scrape(admin))[name]) != want:
        assert time.monotonic() < deadline, f"{name} stayed {got}, expected {want}"
        await asyncio.sleep(0.02)  # polling the scrape until the change is seen


async def test_two_sites_share_one_upstream_connection(caddy_py, backend: Backend, connect) -> None:
    p1, p2 = free_port(), free_port()
    await caddy_py(global_options() + site(p1, backend.url) + site(p2, backend.url), p1, p2)
    await backend.wait_connected()
    c1 = await connect(f"ws://127.0.0.1:{p1}/")
    c2 = await connect(f"ws://127.0.0.1:{p2}/")
    await subscribe(c1, backend, ["a"], rid="1")
    await subscribe(c2, backend, ["a"], rid="2")
    await backend.publish(["a"], "both")
    for c in (c1, c2):
        doc = await c.recv_doc()
        assert (doc["payload"], doc["seq"]) == ("both", 1)  # one hub: one sequence for both sites
    assert backend.accepts.qsize() == 1 and len(backend.conns) == 1


async def test_sighup_reload_keeps_subscribers_and_applies_settings(caddy_py, backend: Backend, connect) -> None:
    port = free_port()
    limit = "\t\tmax_channels_per_connection {}\n"
    proc = await caddy_py(global_options() + site(port, backend.url, limit.format(2)), port)
    await backend.wait_connected()
    c = await connect(f"ws://127.0.0.1:{port}/")
    await subscribe(c, backend, ["a"])
    await proc.reload(global_options() + site(port, backend.url, limit.format(1)))
    # the new limit answers at once, from the notifier itself
    await c.send({"operation": "subscribe", "request_id": "2", "credential": "c", "channels": ["b"]})
    doc = await c.recv_doc()
    assert (doc["reject"], doc["message"]) == (["b"], "max_channels_per_connection exceeded")
    await backend.publish(["a"], "after reload")
    assert (await c.recv_doc())["payload"] == "after reload"  # nobody was disconnected
    assert backend.accepts.qsize() == 1 and len(backend.conns) == 1  # no new upstream connection


async def test_metrics_after_a_known_workload(caddy_py, backend: Backend, connect) -> None:
    port, admin = free_port(), free_port()
    await caddy_py(global_options(admin) + site(port, backend.url), port, admin)
    await backend.wait_connected()
    c1, c2, idle = [await connect(f"ws://127.0.0.1:{port}/") for _ in range(3)]
    sent: list[str] = []
    received: list[str] = []

    async def recv(c) -> dict:
        msg = await c.recv()
        received.append(msg.data)
        return json.loads(msg.data)

    for c, rid, channels in ((c1, "1", ["a"]), (c2, "2", ["a", "b"])):
        sent.append(json.dumps({"operation": "subscribe", "request_id": rid, "credential": "c", "channels": channels}))
        await c.ws.send_str(sent[-1])
        req = await backend.next("subscribe")
        await backend.send({"operation": "verify", "subscription_id": req["subscription_id"], "request_id": rid,
                            "accept": channels})
        assert (await recv(c))["accept"] == channels
    for n in range(3):
        await backend.publish(["a"], n)
    await backend.publish(["b"], "b")
    await backend.publish(["nobody"], "z")  # counted as requested [FIX 14], sent to nobody
    assert [(await recv(c1))["seq"] for _ in range(3)] == [1, 2, 3]
    assert [(await recv(c2))["seq"] for _ in range(4)] == [1, 2, 3, 4]
    m = await scrape(admin)
    assert m["caddy_websocket_notifier_event_requested_total"] == 5
    assert m["caddy_websocket_notifier_event_sent_total"] == 7
    assert m["caddy_websocket_notifier_subscribe_requested_total"] == 3  # channels asked for
    assert m["caddy_websocket_notifier_active_connection"] == 3  # sockets, the idle one too [FIX 14]
    assert m["caddy_websocket_notifier_active_subscription"] == 2
    assert m["caddy_websocket_notifier_channel_count"] == 2
    assert m["caddy_websocket_notifier_upstream_healthy"] == 1
    assert m["caddy_websocket_notifier_websocket_inbound_bytes_total"] == sum(map(len, sent))
    assert m["caddy_websocket_notifier_websocket_outbound_bytes_total"] == sum(map(len, received))
    assert m["caddy_websocket_notifier_websocket_outbound_compressed_bytes_total"] == 0
    assert m['caddy_websocket_notifier_resume_total{outcome="recovered"}'] == 0
    assert m["caddy_websocket_notifier_slow_consumer_closed_total"] == 0
    await idle.close()
    await scrape_until(admin, "caddy_websocket_notifier_active_connection", 2)


async def test_backend_restart_resume_first_then_pending(caddy_py, backend: Backend, connect) -> None:
    port, admin = free_port(), free_port()
    await caddy_py(global_options(admin) + site(port, backend.url), port, admin)
    await backend.wait_connected()
    c = await connect(f"ws://127.0.0.1:{port}/")
    token = await subscribe(c, backend, ["a"])
    backend_port = backend.port
    await backend.stop()
    await scrape_until(admin, "caddy_websocket_notifier_upstream_healthy", 0)
    # subscribe while the backend is down: held, and the connection stays responsive
    await c.send({"operation": "subscribe", "request_id": "2", "credential": "c", "channels": ["b"]})
    await c.send("ping")
    assert (await c.recv()).data == "pong"
    await backend.start(backend_port)
    await backend.wait_connected()
    first = await backend.next()
    assert first == {"operation": "resume", "channels": ["a"]}  # the channels subscribers hold, first
    pending = await backend.next()
    assert (pending["operation"], pending["subscription_id"], pending["channels"]) == ("subscribe", token, ["b"])
    await backend.send({"operation": "verify", "subscription_id": token, "request_id": "2", "accept": ["b"]})
    assert (await c.recv_doc())["accept"] == ["b"]
    await backend.publish(["a"], "back")
    assert (await c.recv_doc())["payload"] == "back"
