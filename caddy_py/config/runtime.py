"""The running process: the active config, config replacement, the admin endpoint.

`load(cfg)` is Caddy's changeConfig: build every app of the new config and provision it, take
its listeners from the pool, then swap (new connections go to the new servers), then stop the
old config in the background (in-flight requests finish on the old handlers; its modules are
cleaned up, so pooled resources still used by the new config survive). Any failure before the
swap undoes the new config and leaves the old one running; the error is raised to the caller.
"""
from __future__ import annotations

import asyncio
import copy
import logging
from typing import Any

from caddy_py.config.context import ConfigError, Context
from caddy_py.config.gcfreeze import POLICY as GC_POLICY
from caddy_py.config.registry import lookup

LOG = logging.getLogger("caddy")
# apps caddy-py accepts and ignores (no TLS termination or local CA here)
IGNORED_APPS = frozenset({"tls", "pki"})


class Instance:
    """One loaded config: its context and its started apps."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.ctx = Context(cfg)
        self.apps: dict[str, Any] = {}

    async def provision(self) -> None:
        apps = self.cfg.get("apps") or {}
        if not isinstance(apps, dict):
            raise ConfigError("apps must be an object")
        for name, app_cfg in apps.items():
            if name in self.ctx.apps:  # already loaded by an app that needed it (http → tls)
                self.apps[name] = self.ctx.apps[name]
                continue
            if lookup(name) is None and name in IGNORED_APPS:
                LOG.warning("app '%s' is not supported by caddy-py; ignored", name)
                continue
            try:
                app = await self.ctx.load_by_id(name, app_cfg)
            except ConfigError as e:
                raise ConfigError(f"loading {name} app module: {e}") from None
            self.apps[name] = app
            self.ctx.apps[name] = app
        for name, app in self.ctx.apps.items():  # apps loaded only as dependencies (tls)
            self.apps.setdefault(name, app)

    async def start(self) -> None:
        started = []
        try:
            for name, app in self.apps.items():
                start = getattr(app, "start", None)
                if start is not None:
                    await start()
                started.append(app)
        except BaseException:
            for app in started:
                rel = getattr(app, "stop", None)
                if rel is not None:
                    await rel()
            raise

    def activate(self) -> None:
        for app in self.apps.values():
            act = getattr(app, "activate", None)
            if act is not None:
                act()

    async def stop(self) -> None:
        for app in self.apps.values():
            stop = getattr(app, "stop", None)
            if stop is not None:
                try:
                    await stop()
                except Exception:  # noqa: BLE001
                    LOG.exception("stopping app")
        await self.ctx.cleanup()

    def http_ports(self) -> dict[str, list[int]]:
        http = self.apps.get("http")
        if http is None:
            return {}
        return {n: s.ports() for n, s in http.servers.items()}


class Runtime:
    def __init__(self, gc_freeze: bool = False) -> None:
        self.gc_freeze = gc_freeze  # keep loaded configs out of full collections (gcfreeze.py)
        self.current: Instance | None = None
        self.admin: Any = None
        self.lock = asyncio.Lock()
        self.stopping: set[asyncio.Task[None]] = set()
        self.stopped = asyncio.Event()
        self.manage_admin = True

    @property
    def config(self) -> dict[str, Any]:
        return self.current.cfg if self.current is not None else {}

    async def load(self, cfg: dict[str, Any]) -> Instance:
        async with self.lock:
            cfg = copy.deepcopy(cfg)
            inst = Instance(cfg)
            try:
                await inst.provision()
                self._apply_logging(cfg)
                await inst.start()
            except BaseException as e:
                await inst.ctx.cleanup()
                _reloaded(False)
                if isinstance(e, (ConfigError, ValueError, TypeError, KeyError)):
                    raise ConfigError(f"loading new config: {e}") from None
                raise
            inst.activate()
            _reloaded(True)
            old, self.current = self.current, inst
            first = old is None
            if self.manage_admin:
                await self._configure_admin(cfg)
            if self.gc_freeze:
                GC_POLICY.config_activated(asyncio.get_running_loop().time(), first=first)
            if old is not None:
                t = asyncio.get_running_loop().create_task(old.stop())
                self.stopping.add(t)
                t.add_done_callback(self.stopping.discard)
                if self.gc_freeze:
                    t.add_done_callback(lambda _t: GC_POLICY.config_retired())
                del old  # this frame must not keep the replaced config alive
            LOG.info("serving initial configuration" if first else "load complete")
            return inst

    @staticmethod
    def _apply_logging(cfg: dict[str, Any]) -> None:
        try:
            from caddy_py import logging as caddy_logging
        except ImportError:  # pragma: no cover
            return
        apply = getattr(caddy_logging, "apply", None)
        if apply is not None:
            try:
                apply(cfg.get("logging"))
            except ValueError as e:
                raise ConfigError(f"setting up custom log: {e}") from None

    async def _configure_admin(self, cfg: dict[str, Any]) -> None:
        from caddy_py.config.admin import AdminServer, admin_settings

        settings = admin_settings(cfg.get("admin") or {})
        if self.admin is not None and self.admin.settings == settings:
            return
        old = self.admin
        self.admin = None
        if old is not None:
            await old.close()
        if settings is None:
            return
        try:
            self.admin = await AdminServer(self, settings).start()
        except ConfigError as e:
            LOG.error("starting admin endpoint: %s", e)

    async def stop(self) -> None:
        """Stop everything: the config (in-flight requests get `grace_period`), the admin API."""
        async with self.lock:
            inst, self.current = self.current, None
            if inst is not None:
                await inst.stop()
            if self.stopping:
                await asyncio.gather(*self.stopping, return_exceptions=True)
            if self.admin is not None:
                await self.admin.close()
                self.admin = None
        self.stopped.set()


def _reloaded(ok: bool) -> None:
    """caddy_config_last_reload_* metrics (owned by caddy_py.http.metrics)."""
    try:
        from caddy_py.http.metrics import config_reloaded
    except ImportError:  # pragma: no cover
        return
    config_reloaded(ok)
