"""Loggers in the Caddyfile: the `log` block body shared by the directive and the global option
(Caddy's parseLogHelper, builtins.go) and the values it yields. The logging app is assembled
from these by the adapter's Setup (httptype.py), where Caddy has that code too.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_name, unmarshal_module
from caddy_py.httpcaddyfile.routes import json_module_object

@dataclass
class LogSampling:
    interval: int = 0
    first: int = 0
    thereafter: int = 0

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.interval:
            out["interval"] = self.interval
        if self.first:
            out["first"] = self.first
        if self.thereafter:
            out["thereafter"] = self.thereafter
        return out


@dataclass
class CustomLog:
    """caddy.CustomLog, printed in Go's struct order."""

    writer: dict | None = None
    encoder: dict | None = None
    core: dict | None = None
    level: str = ""
    sampling: LogSampling | None = None
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        out: dict[str, Any] = {}
        if self.writer is not None:
            out["writer"] = self.writer
        if self.encoder is not None:
            out["encoder"] = self.encoder
        if self.core is not None:
            out["core"] = self.core
        if self.level:
            out["level"] = self.level
        if self.sampling is not None:
            out["sampling"] = self.sampling.to_json()
        if self.include:
            out["include"] = list(self.include)
        if self.exclude:
            out["exclude"] = list(self.exclude)
        return out


@dataclass
class NamedCustomLog:
    """The value of a "custom_log" ConfigValue (Caddy's namedCustomLog)."""

    name: str = ""
    hostnames: list[str] = field(default_factory=list)
    log: CustomLog | None = None
    no_hostname: bool = False


def _module_object(h: Any, namespace: str, inline_key: str) -> dict:
    name = h.val()
    value = unmarshal_module(h, f"{namespace}.{name}")
    return json_module_object(value, inline_key, module_name(f"{namespace}.{name}"))


def _parse_sampling(h: Any) -> LogSampling:
    d = h.new_from_next_segment()
    while d.next_arg():
        pass
    sampling = LogSampling()
    seen: set[str] = set()
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub in seen:
            raise d.err(f"'{sub}' specified more than once in the same sampling block")
        seen.add(sub)
        if sub not in ("interval", "first", "thereafter"):
            raise d.err(f"unrecognized subdirective: {sub}")
        if not d.next_arg():
            raise d.arg_err()
        try:
            if sub == "interval":
                sampling.interval = parse_duration(d.val())
            elif sub == "first":
                sampling.first = atoi(d.val())
            else:
                sampling.thereafter = atoi(d.val())
        except GoValueError as e:
            raise d.err(f"failed to parse {sub}: {e}") from None
    return sampling


def parse_log_block(h: Any, as_global: bool) -> tuple[CustomLog, list[str], bool]:
    """The sub-directives of a `log` block: (the log, custom hostnames, no_hostname)."""
    cl = CustomLog()
    hostnames: list[str] = []
    no_hostname = False
    seen: set[str] = set()

    def unique(sub: str) -> None:
        if sub in seen:
            raise h.err(f"'{sub}' subdirective specified more than once in the same log block")
        seen.add(sub)

    while h.next_block(0):
        sub = h.val()
        if sub == "hostnames":
            if as_global:
                raise h.err("hostnames is not allowed in the log global options")
            args = h.remaining_args()
            if not args:
                raise h.arg_err()
            hostnames.extend(args)
        elif sub == "output":
            unique(sub)
            if not h.next_arg():
                raise h.arg_err()
            name = h.val()
            if name in ("stdout", "stderr", "discard"):
                cl.writer = {"output": name}
            else:
                cl.writer = _module_object(h, "caddy.logging.writers", "output")
        elif sub == "sampling":
            unique(sub)
            cl.sampling = _parse_sampling(h)
        elif sub == "core":
            unique(sub)
            if not h.next_arg():
                raise h.arg_err()
            cl.core = _module_object(h, "caddy.logging.cores", "module")
        elif sub == "format":
            unique(sub)
            if not h.next_arg():
                raise h.arg_err()
            cl.encoder = _module_object(h, "caddy.logging.encoders", "format")
        elif sub == "level":
            unique(sub)
            if not h.next_arg():
                raise h.arg_err()
            cl.level = h.val()
            if h.next_arg():
                raise h.arg_err()
        elif sub in ("include", "exclude"):
            if not as_global:
                raise h.err(f"{sub} is not allowed in the log directive")
            target = cl.include if sub == "include" else cl.exclude
            while h.next_arg():
                target.append(h.val())
        elif sub == "no_hostname":
            unique(sub)
            if h.next_arg():
                raise h.arg_err()
            no_hostname = True
        else:
            raise h.err(f"unrecognized subdirective: {sub}")
    return cl, hostnames, no_hostname
