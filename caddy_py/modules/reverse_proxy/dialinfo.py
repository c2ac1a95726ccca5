"""Caddy network addresses as used by upstream `dial` values."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialInfo:
    network: str
    host: str
    port: str
    address: str  # host:port, or the socket path for unix

    @property
    def connect_host(self) -> str:
        """The host to connect to: a fully qualified name's trailing dot (SRV targets) is
        dropped, since the system resolver may not look such names up in /etc/hosts."""
        return self.host.rstrip(".") or self.host

    @property
    def unix_path(self) -> str:
        return self.address if self.network.startswith("unix") else ""

    def __str__(self) -> str:
        if self.network in ("tcp", ""):
            return self.address
        return f"{self.network}/{self.address}"


def parse_dial(dial: str) -> DialInfo:
    network, addr = "tcp", dial
    if "/" in dial and not dial.startswith("["):
        net, _, rest = dial.partition("/")
        if net in ("tcp", "tcp4", "tcp6", "udp", "udp4", "udp6", "unix", "unixgram", "unixpacket"):
            network, addr = net, rest
    if network.startswith("unix"):
        return DialInfo(network, addr, "", addr)
    host, sep, port = addr.rpartition(":")
    if not sep:
        raise ValueError(f"missing port in address {addr}")
    if not port.isdigit():
        raise ValueError(f"invalid port in address {addr}")
    if "-" in port:
        raise ValueError(f"dial address must represent precisely one socket: {addr}")
    host = host.strip("[]")
    return DialInfo(network, host, port, addr)
