"""Listen addresses and pooled listening sockets.

Addresses use Caddy's network address syntax: `[network/]host:port[-port]` — `:8080` (all
interfaces), `127.0.0.1:8080`, `tcp/:8080`, `tcp4/…`, `tcp6/…`, `unix//path/to.sock`,
`fd/3` (an inherited socket), and port ranges `:8080-8082` (one listener per port).

A Listener is an asyncio server kept in the usage pool under its address, so a reload that keeps
the address keeps the very same socket (no refused connections). Each connection is handed to
whichever config is active when it is accepted: `listener.factory` is swapped on reload, and
connections accepted earlier stay with the server that accepted them. Sockets use
SO_REUSEPORT as Caddy's do on Unix, so a reload may move `127.0.0.1:80` to `:80` without a gap.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable

from caddy_py.config.context import ConfigError
from caddy_py.config.usagepool import pool

LISTENERS = pool("http.listeners")
_ephemeral = itertools.count()


@dataclass(frozen=True)
class NetworkAddress:
    network: str
    host: str
    start_port: int
    end_port: int

    def port_addrs(self) -> list["NetworkAddress"]:
        if self.network.startswith("unix") or self.network.startswith("fd"):
            return [self]
        return [NetworkAddress(self.network, self.host, p, p) for p in range(self.start_port, self.end_port + 1)]

    def key(self) -> str:
        if self.network.startswith("unix") or self.network.startswith("fd"):
            return f"{self.network}/{self.host}"
        return f"{self.network}/{self.host}:{self.start_port}"

    def __str__(self) -> str:
        return self.key()


MAX_PORT_SPAN = 65535


def _split_host_port(a: str) -> tuple[str, str]:
    """Go's net.SplitHostPort, falling back to a bare host (port "") as Caddy does."""
    if a.startswith("["):
        end = a.find("]")
        if end < 0:
            raise ConfigError(f"address {a}: missing ']' in address")
        rest = a[end + 1:]
        if rest.startswith(":"):
            return a[1:end], rest[1:]
        if rest:
            raise ConfigError(f"address {a}: missing port in address")
        return a[1:end], ""
    if a.count(":") == 1:
        host, port = a.split(":")
        return host, port
    return a, ""  # no port (or a bare IPv6 address)


def parse_network_address(addr: str, default_port: int = 0) -> NetworkAddress:
    """Caddy's ParseNetworkAddress: `[network/]host[:port[-port]]`; unix and fd networks take
    the rest as a path or descriptor."""
    network, slash, rest = addr.partition("/")
    if slash:
        network = network.strip().lower()
    else:
        network, rest = "", addr
    if network.startswith("unix") or network.startswith("fd"):
        return NetworkAddress(network, rest, 0, 0)
    host, port_s = _split_host_port(rest)
    network = network or "tcp"
    if not port_s:
        return NetworkAddress(network, host, default_port, default_port)
    lo_s, _, hi_s = port_s.partition("-")
    hi_s = hi_s or lo_s
    try:
        lo = int(lo_s)
        if not lo_s.isdigit() or lo > 65535:
            raise ValueError
    except ValueError:
        raise ConfigError(f'invalid start port: strconv.ParseUint: parsing "{lo_s}": invalid syntax') from None
    try:
        hi = int(hi_s)
        if not hi_s.isdigit() or hi > 65535:
            raise ValueError
    except ValueError:
        raise ConfigError(f'invalid end port: strconv.ParseUint: parsing "{hi_s}": invalid syntax') from None
    if hi < lo:
        raise ConfigError("end port must not be less than start port")
    if hi - lo > MAX_PORT_SPAN:
        raise ConfigError(f"port range exceeds {MAX_PORT_SPAN} ports")
    return NetworkAddress(network, host, lo, hi)


class _Refuse(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class Listener:
    """A listening asyncio server that delegates each accepted connection to `factory`."""

    def __init__(self, addr: NetworkAddress) -> None:
        self.addr = addr
        self.factory: Callable[[], asyncio.Protocol] | None = None
        self.owner: Any = None
        self.server: asyncio.base_events.Server | None = None

    def _protocol(self) -> asyncio.Protocol:
        f = self.factory
        return f() if f is not None else _Refuse()

    async def open(self) -> "Listener":
        loop = asyncio.get_running_loop()
        a = self.addr
        try:
            if a.network.startswith("unix"):
                if os.path.exists(a.host):
                    os.unlink(a.host)
                self.server = await loop.create_unix_server(self._protocol, a.host, backlog=1024)
            elif a.network.startswith("fd"):
                # a listening socket inherited from the parent process (systemd socket activation)
                sock = socket.socket(fileno=int(a.host))
                self.server = await loop.create_server(self._protocol, sock=sock, backlog=1024)
            else:
                family = {"tcp4": socket.AF_INET, "tcp6": socket.AF_INET6}.get(a.network, socket.AF_UNSPEC)
                self.server = await loop.create_server(
                    self._protocol, a.host or None, a.start_port, family=family,
                    reuse_address=True, reuse_port=hasattr(socket, "SO_REUSEPORT"), backlog=1024)
        except OSError as e:
            raise ConfigError(f"listening on {a.key()}: {e.strerror or e}") from None
        return self

    def ports(self) -> list[int]:
        if self.server is None:
            return []
        out = []
        for s in self.server.sockets:
            name = s.getsockname()
            if isinstance(name, tuple):
                out.append(name[1])
        return out

    def destruct(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None


async def acquire(addr: NetworkAddress) -> tuple[str, Listener]:
    """A pooled listener for one address (one port); returns (pool key, listener)."""
    key = addr.key()
    if addr.network.startswith("tcp") and addr.start_port == 0:
        key = f"{key}#{next(_ephemeral)}"  # every :0 is a fresh port: never shared
    listener, _ = await LISTENERS.load_or_new(key, lambda: Listener(addr).open())
    return key, listener


async def release(key: str) -> None:
    await LISTENERS.delete(key)
