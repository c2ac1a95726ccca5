"""Ten SIGHUP reloads of a real `caddy-py run` (Caddyfile adapter) while HTTP clients loop and a
proxied WebSocket stays open: zero failed requests, the WebSocket still echoes after the last
reload (`stream_close_delay` keeps tunnels across config swaps, as in Caddy), and an invalid
Caddyfile on reload keeps the old config serving."""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.runtime_core.diff import free_port, stop_server, wait_port

pytestmark = pytest.mark.timeout(90)


def write_caddyfile(path: Path, port: int, upstream: int, gen: str) -> None:
    text = f"""{{
	admin off
}}
:{port} {{
	bind 127.0.0.1
	header X-Gen {gen}
	handle /ws {{
		reverse_proxy 127.0.0.1:{upstream} {{
			stream_close_delay 5m
		}}
	}}
	respond "gen {gen}"
}}
"""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(path)  # atomically: a SIGHUP must never read a half-written file


async def generation(session: aiohttp.ClientSession, port: int) -> str:
    async with session.get(f"http://127.0.0.1:{port}/") as r:
        assert r.status == 200
        body = await r.text()
        assert body == f"gen {r.headers['X-Gen']}"
        return r.headers["X-Gen"]


async def await_generation(session: aiohttp.ClientSession, port: int, want: str, timeout: float = 20) -> None:
    """Observe the reload: requests until the new config's header shows up."""
    async def poll() -> None:
        while await generation(session, port) != want:
            pass
    await asyncio.wait_for(poll(), timeout)


async def read_stderr_until(proc: subprocess.Popen, needle: str, timeout: float = 20) -> str:
    def scan() -> str:
        assert proc.stderr is not None
        for line in iter(proc.stderr.readline, b""):
            if needle in line.decode(errors="replace"):
                return line.decode(errors="replace")
        return ""
    return await asyncio.wait_for(asyncio.get_running_loop().run_in_executor(None, scan), timeout)


async def echo(ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
    await ws.send_str(text)
    msg = await asyncio.wait_for(ws.receive(), 10)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.TEXT, text)


async def test_ten_sighup_reloads_keep_http_and_websocket_alive(tmp_path, echo_upstream):
    port = free_port()
    cfg = tmp_path / "Caddyfile"
    write_caddyfile(cfg, port, echo_upstream, "g0")
    proc = subprocess.Popen([sys.executable, "-m", "caddy_py", "run", "--config", str(cfg), "--adapter", "caddyfile"],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        await wait_port(port, proc)
        failures: list[BaseException] = []
        seen: set[str] = set()
        done = asyncio.Event()

        async def client_loop(force_close: bool) -> None:
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=force_close)) as s:
                while not done.is_set():
                    try:
                        seen.add(await generation(s, port))
                    except (aiohttp.ClientError, AssertionError, OSError, KeyError) as e:
                        failures.append(e)

        async with aiohttp.ClientSession() as s:
            ws = await s.ws_connect(f"http://127.0.0.1:{port}/ws")
            await echo(ws, "before")
            clients = [asyncio.create_task(client_loop(force_close=i % 2 == 0)) for i in range(4)]
            for i in range(1, 11):
                write_caddyfile(cfg, port, echo_upstream, f"g{i}")
                proc.send_signal(signal.SIGHUP)
                await await_generation(s, port, f"g{i}")
                await echo(ws, f"after reload {i}")
            done.set()
            await asyncio.gather(*clients)
            assert failures == []
            assert len(seen) >= 2  # the loops really ran across generations

            cfg.write_text(f":{port} {{\n\trespond \"broken\n")  # unterminated quote
            proc.send_signal(signal.SIGHUP)
            assert "failed to reload" in await read_stderr_until(proc, "failed to reload")
            assert await generation(s, port) == "g10"
            await echo(ws, "still open")
            assert not ws.closed
            await ws.send_bytes(b"\x00\x01binary")
            msg = await asyncio.wait_for(ws.receive(), 10)
            assert (msg.type, msg.data) == (aiohttp.WSMsgType.BINARY, b"\x00\x01binary")
            await ws.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        stop_server(proc)
