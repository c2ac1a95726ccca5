"""`caddy-py run`, `reload` and `stop` (Caddy's cmdRun, cmdReload, cmdStop).

`run` serves the config in the foreground on uvloop: SIGHUP (and Caddy's SIGUSR1) reload the
file it was started with, SIGTERM/SIGINT stop gracefully (in-flight requests get
`grace_period`), SIGQUIT exits at once with status 2, `--watch`
reloads when the file changes, `--pidfile` records the process ID. `reload` and `stop` talk to
a running instance through its admin API.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
import urllib.error
import urllib.request
from typing import Any

from caddy_py.cli import UserError
from caddy_py.config.context import ConfigError

LOG = logging.getLogger("caddy")


def _print_environment() -> None:
    from caddy_py import CADDY_COMPAT_VERSION, __version__

    out = sys.stdout
    out.write(f"caddy.Version=caddy-py {__version__} (Caddy {CADDY_COMPAT_VERSION} compatible)\n")
    out.write(f"runtime.GOOS={sys.platform}\nruntime.NumCPU={os.cpu_count()}\n")
    out.write(f"os.Getwd={os.getcwd()}\n\n")
    for k, v in os.environ.items():
        out.write(f"{k}={v}\n")
    out.flush()


def _load_file(path: str, adapter: str) -> dict[str, Any]:
    from caddy_py.config.loading import read_config_file

    return read_config_file(path, adapter)


def _run_path(args: argparse.Namespace) -> str:
    path = getattr(args, "config", "") or ""
    if not path and os.path.exists("Caddyfile"):
        path = "Caddyfile"
    return path


class _Process:
    """The foreground server: the runtime plus signal handling and file watching."""

    def __init__(self, path: str, adapter: str, watch: bool) -> None:
        from caddy_py.config.runtime import Runtime

        self.path = path
        self.adapter = adapter
        self.watch = watch
        self.runtime = Runtime(gc_freeze=True)
        self.reloads = 0

    async def reload_file(self, signal_name: str = "") -> None:
        extra = {"caddy_fields": {"signal": signal_name, "file": self.path, "adapter": self.adapter}}
        LOG.info("reloading config from last-known source", extra=extra)
        try:
            cfg = _load_file(self.path, self.adapter)
            await self.runtime.load(cfg)
            self.reloads += 1
        except Exception as e:  # noqa: BLE001 - a bad reload keeps the old config; report it
            LOG.error("failed to reload config from file: %s", e, extra=extra)
            return
        LOG.info("successfully reloaded config from file", extra=extra)

    async def _watch(self) -> None:
        def mtime() -> float:
            try:
                st = os.stat(self.path)
                return st.st_mtime_ns + st.st_size
            except OSError:
                return -1

        last = mtime()
        while True:
            await asyncio.sleep(1.0)  # Caddy's watcher also polls once a second
            now = mtime()
            if now != last and now != -1:
                last = now
                LOG.info("config file changed; reloading")
                await self.reload_file()

    @staticmethod
    def _quit_now() -> None:
        """SIGQUIT: exit at once, as Caddy does (exit status 2, no graceful shutdown)."""
        LOG.info("quitting process immediately", extra={"caddy_fields": {"signal": "SIGQUIT"}})
        os._exit(2)

    async def main(self) -> int:
        loop = asyncio.get_running_loop()
        # signals first: a SIGHUP or SIGTERM arriving while the first config loads must not
        # kill the process (the runtime's lock orders a reload after the initial load)
        stop = asyncio.Event()

        def on_interrupt() -> None:
            if stop.is_set():  # a second SIGINT while stopping: force quit, as Caddy does
                LOG.warning("force quit", extra={"caddy_fields": {"signal": "SIGINT"}})
                os._exit(2)
            stop.set()

        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
        # SIGHUP (this project) and SIGUSR1 (Caddy's) reload the file we were started with
        for sig in (signal.SIGHUP, signal.SIGUSR1):
            if self.path:
                loop.add_signal_handler(sig, lambda n=sig.name: loop.create_task(self.reload_file(n)))
            else:
                loop.add_signal_handler(sig, lambda n=sig.name: LOG.info("last config unknown, ignored %s", n))
        loop.add_signal_handler(signal.SIGQUIT, self._quit_now)
        cfg: dict[str, Any] = _load_file(self.path, self.adapter) if self.path else {}
        try:
            await self.runtime.load(cfg)
        except ConfigError as e:
            await self.runtime.stop()
            raise UserError(f"loading initial config: {e}") from None
        watcher = loop.create_task(self._watch()) if self.watch and self.path else None
        stopped = loop.create_task(self.runtime.stopped.wait())
        signalled = loop.create_task(stop.wait())
        await asyncio.wait({stopped, signalled}, return_when=asyncio.FIRST_COMPLETED)
        if watcher is not None:
            watcher.cancel()
        if not self.runtime.stopped.is_set():
            LOG.info("shutting down")
            await self.runtime.stop()
        for t in (stopped, signalled):
            t.cancel()
        LOG.info("shutdown complete")
        return 0


def _install_logging() -> None:
    try:
        from caddy_py import logging as caddy_logging
    except ImportError:  # pragma: no cover
        logging.basicConfig(level=logging.INFO)
        return
    caddy_logging.install()


def cmd_run(args: argparse.Namespace) -> int:
    _install_logging()
    if args.environ:
        _print_environment()
    path = _run_path(args)
    proc = _Process(path, getattr(args, "adapter", "") or "", bool(getattr(args, "watch", False)))
    if args.pidfile:
        try:
            with open(args.pidfile, "w") as f:
                f.write(str(os.getpid()))
        except OSError as e:
            raise UserError(f"writing PID file: {e.strerror}") from None
    try:
        import uvloop

        return uvloop.run(proc.main())
    except ConfigError as e:
        raise UserError(str(e)) from None
    finally:
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass


# -- talking to a running instance --------------------------------------------------------
def _admin_address(args: argparse.Namespace, cfg: dict[str, Any] | None) -> str:
    from caddy_py.config.admin import DEFAULT_LISTEN

    addr = getattr(args, "address", "") or ""
    if not addr and cfg:
        addr = (cfg.get("admin") or {}).get("listen", "")
    return addr or DEFAULT_LISTEN


def _admin_request(addr: str, method: str, path: str, body: bytes = b"",
                   headers: dict[str, str] | None = None) -> None:
    from caddy_py.http.listeners import parse_network_address

    a = parse_network_address(addr)
    if a.network.startswith("unix"):
        raise UserError("admin API over a unix socket is not supported by this command")
    host = a.host or "localhost"
    hostport = f"[{host}]:{a.start_port}" if ":" in host else f"{host}:{a.start_port}"
    url = f"http://{hostport}{path}"
    req = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
    req.add_header("Origin", f"http://{hostport}")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace").strip()
        raise UserError(f"caddy responded with error: HTTP {e.code}: {text}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise UserError(f"performing request: {method} {url}: {reason}") from None


def cmd_reload(args: argparse.Namespace) -> int:
    from caddy_py.cli import config_path

    path = config_path(args)
    try:
        cfg = _load_file(path, getattr(args, "adapter", "") or "")
    except ConfigError as e:
        raise UserError(str(e)) from None
    headers = {"Content-Type": "application/json"}
    if getattr(args, "force", False):
        headers["Cache-Control"] = "must-revalidate"
    try:
        _admin_request(_admin_address(args, cfg), "POST", "/load", json.dumps(cfg).encode(), headers)
    except UserError as e:
        raise UserError(f"sending configuration to instance: {e}") from None
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    cfg = None
    path = _run_path(args)
    if path and not getattr(args, "address", ""):
        try:
            cfg = _load_file(path, getattr(args, "adapter", "") or "")
        except ConfigError as e:
            raise UserError(str(e)) from None
    _admin_request(_admin_address(args, cfg), "POST", "/stop")
    return 0
