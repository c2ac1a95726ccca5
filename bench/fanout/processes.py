"""The benchmark's three processes: the backend, caddy-py, and the load generator (a line pipe)."""
from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what: str, check, timeout: float = 20.0) -> None:
    """Poll `check` until it is true (a bounded loop: the bench is not a test)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


def port_open(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    return True


def http_json(url: str, method: str = "GET", timeout: float = 120.0) -> dict:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


def start(cmd: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    full = dict(os.environ, HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"), XDG_CONFIG_HOME=str(cwd / "config"))
    full.update(env or {})
    return subprocess.Popen(cmd, cwd=cwd, env=full, stdin=subprocess.DEVNULL, stdout=open(log, "ab"),
                            stderr=subprocess.STDOUT)


class Client:
    """The load generator in its own process, spoken to one JSON line at a time."""

    def __init__(self, log: Path) -> None:
        self.p = subprocess.Popen([sys.executable, str(HERE / "client.py")], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=open(log, "ab"), bufsize=0)
        self.pid = self.p.pid
        self._buf = b""

    def send(self, cmd: dict) -> None:
        self.p.stdin.write((json.dumps(cmd) + "\n").encode())  # type: ignore[union-attr]

    def read(self, timeout: float) -> dict:
        fd = self.p.stdout.fileno()  # type: ignore[union-attr]
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise SystemExit(f"load generator silent for {timeout:.0f}s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise SystemExit("load generator exited")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd: dict, timeout: float = 120.0) -> dict:
        self.send(cmd)
        return self.read(timeout)

    def quit(self) -> None:
        try:
            self.call({"cmd": "quit"}, 30)
        except (SystemExit, BrokenPipeError):
            pass
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
