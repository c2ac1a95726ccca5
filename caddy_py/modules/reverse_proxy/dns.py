"""A small DNS client (UDP) for dynamic upstreams: SRV lookups, and A/AAAA lookups against a
configured `resolver`. The standard library only resolves A/AAAA through the system, so SRV
needs this. Answers are read as RFC 1035 messages, following name compression."""
from __future__ import annotations

import asyncio
import ipaddress
import os
import struct
from dataclasses import dataclass

A, AAAA, SRV, TXT = 1, 28, 33, 16


@dataclass(frozen=True)
class SRVRecord:
    priority: int
    weight: int
    port: int
    target: str  # fully qualified, with the trailing dot (as Go returns it)


class DNSError(Exception):
    pass


def system_nameservers(path: str = "/etc/resolv.conf") -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "nameserver":
                    out.append((parts[1], 53))
    except OSError:
        pass
    return out or [("127.0.0.1", 53)]


def parse_resolver_address(addr: str) -> tuple[str, int]:
    """"udp/1.2.3.4:53", "1.2.3.4:5353", "[::1]:53" or a bare IP (port 53)."""
    addr = addr.removeprefix("udp/").removeprefix("udp4/").removeprefix("udp6/")
    try:
        return str(ipaddress.ip_address(addr.strip("[]"))), 53
    except ValueError:
        host, _, port = addr.rpartition(":")
        return host.strip("[]"), int(port)


def build_query(name: str, qtype: int, qid: int) -> bytes:
    labels = b"".join(bytes([len(p)]) + p.encode() for p in name.rstrip(".").split(".") if p)
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + labels + b"\x00" + struct.pack("!HH", qtype, 1)


def _read_name(msg: bytes, off: int) -> tuple[str, int]:
    labels: list[str] = []
    end = -1
    for _ in range(128):  # bounded: a malicious pointer loop cannot spin forever
        n = msg[off]
        if n == 0:
            off += 1
            break
        if n & 0xC0 == 0xC0:
            if end < 0:
                end = off + 2
            off = struct.unpack("!H", msg[off:off + 2])[0] & 0x3FFF
            continue
        labels.append(msg[off + 1:off + 1 + n].decode("ascii", "replace"))
        off += 1 + n
    else:
        raise DNSError("malformed name")
    return ".".join(labels) + ".", (end if end >= 0 else off)


def parse_answers(msg: bytes, qid: int, qtype: int) -> list[object]:
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid:
        raise DNSError("mismatched answer id")
    rcode = flags & 0xF
    if rcode == 3:
        raise DNSError("no such host")
    if rcode:
        raise DNSError(f"server failure (rcode {rcode})")
    off = 12
    for _ in range(qd):
        _, off = _read_name(msg, off)
        off += 4
    out: list[object] = []
    for _ in range(an):
        _, off = _read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == qtype == A and rdlen == 4:
            out.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == qtype == AAAA and rdlen == 16:
            out.append(str(ipaddress.IPv6Address(rdata)))
        elif rtype == qtype == SRV:
            prio, weight, port = struct.unpack("!HHH", rdata[:6])
            target, _ = _read_name(msg, off + 6)
            out.append(SRVRecord(prio, weight, port, target))
        elif rtype == qtype == TXT:  # one record: its character-strings joined
            parts, i = [], 0
            while i < len(rdata):
                parts.append(rdata[i + 1:i + 1 + rdata[i]].decode(errors="replace"))
                i += 1 + rdata[i]
            out.append("".join(parts))
        off += rdlen
    return out


class _Once(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if not self.answer.done():
            self.answer.set_result(data)

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def query(name: str, qtype: int, servers: list[tuple[str, int]], timeout: float = 5.0) -> list[object]:
    """Ask each server in turn; the first usable answer wins."""
    last: Exception = DNSError("no nameservers")
    loop = asyncio.get_running_loop()
    for host, port in servers:
        qid = struct.unpack("!H", os.urandom(2))[0]
        transport, proto = await loop.create_datagram_endpoint(_Once, remote_addr=(host, port))
        try:
            transport.sendto(build_query(name, qtype, qid))
            async with asyncio.timeout(timeout):
                return parse_answers(await proto.answer, qid, qtype)
        except (OSError, TimeoutError, DNSError, struct.error, IndexError) as e:
            last = e
        finally:
            transport.close()
    raise DNSError(f"lookup {name}: {last}")
