"""Differential harness: the same config served by the real `caddy run` and by `caddy-py run`,
the same requests sent to both, the answers compared.

    async with Pair(caddy_bin, tmp_path, env, make_config) as pair:
        await pair.assert_same([Req("GET", "/x"), Req("POST", "/y", body=b"..")])

`make_config(port)` returns the JSON config (dict) or Caddyfile text (str) for a given port;
each server gets its own free port and `admin off`. `compared_headers` picks the response
headers compared (default COMPARED_HEADERS, which includes Content-Length and
Transfer-Encoding: drop them for responses whose framing may legitimately differ).
"""
from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import aiohttp

COMPARED_HEADERS = ("Content-Type", "Content-Length", "Transfer-Encoding", "Server", "Location", "Allow",
                    "Vary", "Content-Encoding", "Cache-Control", "Www-Authenticate", "Connection")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_port(port: int, proc: subprocess.Popen, timeout: float = 15.0,
                    stderr: Callable[[], str] | None = None) -> None:
    """Poll until `port` accepts on 127.0.0.1; fail early, with the server's stderr, if `proc` died."""
    def log() -> str:
        if stderr is not None:
            return stderr()
        return proc.stderr.read().decode() if proc.stderr else ""

    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}:\n{log()}")
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
            w.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"port {port} never opened" + (f":\n{stderr()}" if stderr else "")) from None
            await asyncio.sleep(0.02)  # polling a port for readiness, not waiting on timing


@dataclass
class Req:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def start_server(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stderr:
        proc.stderr.close()


class Pair:
    def __init__(self, caddy_bin: str, tmp: Path, env: dict[str, str],
                 make_config: Callable[[int], dict[str, Any] | str],
                 compared_headers: tuple[str, ...] = COMPARED_HEADERS) -> None:
        self.compared_headers = compared_headers
        self.caddy_bin = caddy_bin
        self.tmp = tmp
        self.env = env
        self.make_config = make_config
        self.procs: list[subprocess.Popen] = []
        self.ports: dict[str, int] = {}

    def _write(self, name: str, port: int) -> Path:
        cfg = self.make_config(port)
        if isinstance(cfg, str):
            path = self.tmp / f"{name}.Caddyfile"
            path.write_text(cfg)
        else:
            cfg.setdefault("admin", {"disabled": True})
            path = self.tmp / f"{name}.json"
            path.write_text(json.dumps(cfg))
        return path

    async def __aenter__(self) -> "Pair":
        env = dict(self.env)
        env.pop("CADDY_ADMIN", None)
        for name, argv0 in (("caddy", [self.caddy_bin]), ("py", [sys.executable, "-m", "caddy_py"])):
            port = free_port()
            path = self._write(name, port)
            argv = argv0 + ["run", "--config", str(path)]
            if path.suffix != ".json":
                argv += ["--adapter", "caddyfile"]
            proc = start_server(argv, env, self.tmp)
            self.procs.append(proc)
            self.ports[name] = port
        for proc, port in zip(self.procs, self.ports.values()):
            await wait_port(port, proc)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        for p in self.procs:
            stop_server(p)

    async def send(self, name: str, req: Req) -> Answer:
        async with aiohttp.ClientSession(auto_decompress=False) as s:
            async with s.request(req.method, f"http://127.0.0.1:{self.ports[name]}{req.path}",
                                 headers=req.headers, data=req.body or None,
                                 allow_redirects=False) as r:
                body = await r.read()
                return Answer(r.status, {k: ",".join(r.headers.getall(k)) for k in self.compared_headers
                                         if k in r.headers}, body)

    async def assert_same(self, reqs: list[Req]) -> None:
        for req in reqs:
            want = await self.send("caddy", req)
            got = await self.send("py", req)
            assert (got.status, got.headers, got.body) == (want.status, want.headers, want.body), \
                f"{req.method} {req.path}: caddy-py {got} differs from caddy {want}"
