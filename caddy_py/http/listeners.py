"""Listen addresses and pooled listening sockets.

Addresses use Caddy's network address syntax: `[network/]host:port[-port]` — `:8080` (all
interfaces), `127.0.0.1:8080`, `tcp/:8080`, `tcp4/…`, `tcp6/…`, `unix//path/to.sock`, and port
ranges `:8080-8082` (one listener per port).

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
        return [NetworkAddress(self.network, self.host, p, p) for p in range(self.start_port, self.end_port + 1)]

    def key(self) -> str:
        if self.network.startswith("unix"):
            return f"{self.network}/{self.host}"
        return f"{self.network}/{self.host}:{self.start_port}"

    def __str__(self) -> str:
        return self.key()


def parse_network_address(addr: str, default_port: int | None = None) -> NetworkAddress:
    network, slash, rest = addr.partition("/")
    if not slash or network not in ("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram",
                                    "unixpacket", "fd", "fdgram", "ip", "ip4", "ip6"):
        network, rest = "tcp", addr
    network = network.lower()
    if network.startswith("unix"):
        return NetworkAddress(network, rest, 0, 0)
    if rest.startswith("["):
        end = rest.find("]")
        if end < 0:
            raise ConfigError(f"parsing network address '{addr}': missing ']' in address")
        host, port_s = rest[1:end], rest[end + 1:].lstrip(":")
    elif ":" in rest:
        host, _, port_s = rest.rpartition(":")
    else:
        host, port_s = rest, ""
    if not port_s:
        if default_port is None:
            raise ConfigError(f"parsing network address '{addr}': missing port in address")
        return NetworkAddress(network, host, default_port, default_port)
    lo_s, dash, hi_s = port_s.partition("-")
    try:
        lo = int(lo_s)
        hi = int(hi_s) if dash else lo
    except ValueError:
        raise ConfigError(f"invalid start port: {port_s}") from None
    if not (0 <= lo <= 65535 and 0 <= hi <= 65535) or hi < lo:
        raise ConfigError(f"invalid port range: {port_s}")
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
    if not addr.network.startswith("unix") and addr.start_port == 0:
        key = f"{key}#{next(_ephemeral)}"  # every :0 is a fresh port: never shared
    listener, _ = await LISTENERS.load_or_new(key, lambda: Listener(addr).open())
    return key, listener


async def release(key: str) -> None:
    await LISTENERS.delete(key)
