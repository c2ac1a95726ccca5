"""`caddy-py run` as a real subprocess for the TLS end-to-end tests: start it from a Caddyfile
with its data directory in tmp, wait until its ports accept, read its stderr log."""
from __future__ import annotations

import asyncio
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Awaitable, Callable, Iterator, TypeVar

import pytest

from tests.tls.conftest import ScratchCA, free_port  # noqa: F401  (re-exported for the tests)
from tests.runtime_core.diff import wait_port

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]


class CaddyPy:
    """One `caddy-py run` process; stderr goes to a file so tests can look for log lines."""

    def __init__(self, tmp: Path, caddyfile: str) -> None:
        self.tmp = tmp
        self.config = tmp / "Caddyfile"
        self.write(caddyfile)
        self.data = tmp / "xdg" / "caddy"
        self.stderr_path = tmp / "caddy-py.stderr"
        env = dict(os.environ, XDG_DATA_HOME=str(tmp / "xdg"), XDG_CONFIG_HOME=str(tmp / "cfg"),
                   HOME=str(tmp))
        self._err = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "caddy_py", "run", "--config", str(self.config), "--adapter", "caddyfile"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self._err)

    def write(self, caddyfile: str) -> None:
        tmp = self.config.with_suffix(".tmp")
        tmp.write_text(caddyfile)
        tmp.replace(self.config)  # atomically: a SIGHUP must never read a half-written file

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    async def wait_port(self, port: int, timeout: float = 20) -> None:
        """Poll until `port` accepts on 127.0.0.1 (fails early if the process died)."""
        await wait_port(port, self.proc, timeout, self.stderr)

    async def wait_log(self, needle: str, timeout: float = 20) -> str:
        """Poll the stderr log until a line containing `needle` appears; return that line."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.stderr().splitlines():
                if needle in line:
                    return line
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"no log line with {needle!r}:\n{self.stderr()}")
            await asyncio.sleep(0.02)  # polling the log file

    def reload(self) -> None:
        self.proc.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()


@pytest.fixture
def caddy_py(tmp_path: Path) -> Iterator[Callable[[str], CaddyPy]]:
    started: list[CaddyPy] = []

    def start(caddyfile: str) -> CaddyPy:
        c = CaddyPy(tmp_path, caddyfile)
        started.append(c)
        return c

    yield start
    for c in started:
        c.stop()


def globals_block(http_port: int, https_port: int, extra: str = "") -> str:
    return f"{{\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n{extra}}}\n"


@pytest.fixture
def curl() -> str | None:
    """curl's path, or None: tests make their curl checks last, so a missing curl skips only them."""
    return shutil.which("curl")


async def run_curl(curl: str | None, *args: str) -> tuple[int, str, str]:
    """Run curl; return (exit code, stdout, stderr). Without curl, skip the rest of the test
    (everything checked before it has passed)."""
    if curl is None:
        pytest.skip("curl is not installed (apt-get install curl): its checks were skipped, the Python ssl ones passed")
    proc = await asyncio.create_subprocess_exec(curl, "-sS", "--max-time", "10", *args,
                                                stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def eventually(attempt: Callable[[], Awaitable[T]], timeout: float = 20) -> T:
    """Retry `attempt` until it returns without raising (certificates are managed in the
    background after the listeners open), re-raising its last error after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await attempt()
        except (OSError, AssertionError, ssl.SSLError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)  # polling for the certificate to be in place
