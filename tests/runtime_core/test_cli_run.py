"""`caddy-py run` as a process: SIGHUP reloads under load with zero failed requests, a bad file
keeps the old config, SIGTERM exits cleanly, the admin API drives reload and stop."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from tests.runtime_core.diff import free_port, stop_server, wait_port

pytestmark = pytest.mark.timeout(90)


def write_config(path: Path, port: int, body: str, admin: int | None = None) -> None:
    cfg = {"admin": {"listen": f"127.0.0.1:{admin}"} if admin else {"disabled": True},
           "apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{port}"], "routes": [
               {"handle": [{"handler": "static_response", "body": body}]}]}}}}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cfg))
    tmp.replace(path)  # atomically: a SIGHUP must never read a half-written file


def start(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "caddy_py", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


async def body_of(session: aiohttp.ClientSession, port: int) -> str:
    async with session.get(f"http://127.0.0.1:{port}/") as r:
        assert r.status == 200
        return await r.text()


async def wait_body(session: aiohttp.ClientSession, port: int, want: str, timeout: float = 10) -> None:
    async def poll() -> None:
        while await body_of(session, port) != want:
            await asyncio.sleep(0.01)  # polling for the reload to become visible
    await asyncio.wait_for(poll(), timeout)


async def read_stderr_until(proc: subprocess.Popen, needle: str, timeout: float = 10) -> str:
    loop = asyncio.get_running_loop()

    def scan() -> str:
        assert proc.stderr is not None
        for line in iter(proc.stderr.readline, b""):
            text = line.decode()
            if needle in text:
                return text
        return ""
    return await asyncio.wait_for(loop.run_in_executor(None, scan), timeout)


async def test_sighup_reloads_under_load(tmp_path):
    port = free_port()
    cfg = tmp_path / "config.json"
    write_config(cfg, port, "v0")
    pidfile = tmp_path / "caddy.pid"
    proc = start(["run", "--config", str(cfg), "--pidfile", str(pidfile)], tmp_path)
    try:
        await wait_port(port, proc)
        assert int(pidfile.read_text()) == proc.pid
        failures: list[BaseException] = []
        done = asyncio.Event()
        count = 0

        async def client_loop() -> None:
            nonlocal count
            # a new connection per request: every accept must succeed across the swaps
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
                while not done.is_set():
                    try:
                        await body_of(s, port)
                        count += 1
                    except (aiohttp.ClientError, AssertionError, OSError) as e:
                        failures.append(e)

        clients = [asyncio.create_task(client_loop()) for _ in range(4)]
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
            for i in range(1, 11):
                write_config(cfg, port, f"v{i}")
                proc.send_signal(signal.SIGHUP)
                await wait_body(s, port, f"v{i}")
            done.set()
            await asyncio.gather(*clients)
            assert failures == [] and count > 0

            cfg.write_text("{ this is not json")
            proc.send_signal(signal.SIGUSR1)  # Caddy's reload signal works too
            assert "failed to reload config from file" in await read_stderr_until(proc, "failed to reload")
            assert await body_of(s, port) == "v10"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert not pidfile.exists()
    finally:
        stop_server(proc)


async def test_admin_reload_and_stop_commands(tmp_path):
    port, admin = free_port(), free_port()
    cfg = tmp_path / "config.json"
    write_config(cfg, port, "first", admin)
    proc = start(["run", "--config", str(cfg)], tmp_path)
    try:
        await wait_port(port, proc)
        await wait_port(admin, proc)
        write_config(cfg, port, "second", admin)
        r = subprocess.run([sys.executable, "-m", "caddy_py", "reload", "--config", str(cfg)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        async with aiohttp.ClientSession() as s:
            assert await body_of(s, port) == "second"
        cfg.write_text(json.dumps({"apps": {"http": {"servers": {"x": {"listen": ["bad:address:99999"]}}}},
                                   "admin": {"listen": f"127.0.0.1:{admin}"}}))
        r = subprocess.run([sys.executable, "-m", "caddy_py", "reload", "--config", str(cfg)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
        r = subprocess.run([sys.executable, "-m", "caddy_py", "stop", "--address", f"127.0.0.1:{admin}"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert proc.wait(15) == 0
    finally:
        stop_server(proc)


async def test_run_with_bad_config_exits_1(tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"apps": {"http": {"servers": {"s": {"listen": [":1"], "routes": [{"handle": [{"handler": "nope"}]}]}}}}}')
    r = subprocess.run([sys.executable, "-m", "caddy_py", "run", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert r.returncode == 1
    assert "Error: loading initial config:" in r.stderr and "Traceback" not in r.stderr


async def test_watch_reloads_on_change_and_caddyfile_adapter(tmp_path):
    port = free_port()
    caddyfile = tmp_path / "Caddyfile"
    site = "{{\n\tadmin off\n}}\n\nhttp://127.0.0.1:%d {{\n\trespond \"{body}\"\n}}\n" % port
    caddyfile.write_text(site.format(body="before"))
    proc = start(["run", "--config", str(caddyfile), "--watch"], tmp_path)
    try:
        await wait_port(port, proc)
        async with aiohttp.ClientSession() as s:
            assert await body_of(s, port) == "before"
            tmp = tmp_path / "next"
            tmp.write_text(site.format(body="after"))
            tmp.replace(caddyfile)
            await wait_body(s, port, "after", timeout=15)
    finally:
        stop_server(proc)


def test_environ_prints_environment(tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"apps": {"nope": {}}}')
    env = dict(os.environ, CADDY_PY_MARKER="visible")
    r = subprocess.run([sys.executable, "-m", "caddy_py", "run", "--environ", "--config", str(cfg)],
                       capture_output=True, text=True, timeout=30, cwd=tmp_path, env=env)
    assert "CADDY_PY_MARKER=visible" in r.stdout
    assert r.returncode == 1 and "Error: loading initial config:" in r.stderr


async def test_sigquit_exits_immediately(tmp_path):
    port = free_port()
    cfg = tmp_path / "config.json"
    write_config(cfg, port, "x")
    proc = start(["run", "--config", str(cfg)], tmp_path)
    try:
        await wait_port(port, proc)
        proc.send_signal(signal.SIGQUIT)
        assert proc.wait(15) == 2
    finally:
        stop_server(proc)
