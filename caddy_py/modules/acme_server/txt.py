"""TXT lookups for dns-01 over UDP (RFC 1035), against the acme_server's `resolvers`, the tls
app's, or the system's nameservers (Caddy's resolverClient.LookupTxt)."""
from __future__ import annotations

import asyncio
import os
import struct

from caddy_py.modules.reverse_proxy.dns import build_query, parse_resolver_address, system_nameservers

TXT = 16
TIMEOUT = 5.0


class TXTError(Exception):
    pass


def resolver_addresses(resolvers: list[str]) -> list[tuple[str, int]]:
    """Parsed `resolvers` (udp, port 53 by default); the system's nameservers when empty."""
    if not resolvers:
        return system_nameservers()
    out = []
    for r in resolvers:
        try:
            out.append(parse_resolver_address(r))
        except ValueError:
            raise ValueError(f"invalid resolver address: {r}") from None
    return out


def _skip_name(msg: bytes, off: int) -> int:
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:  # compression pointer: the name ends here
            return off + 2
        off += 1 + n


def parse_txt(msg: bytes, qid: int) -> list[str]:
    rid, flags, qd, an, _, _ = struct.unpack("!HHHHHH", msg[:12])
    if rid != qid:
        raise TXTError("mismatched answer id")
    rcode = flags & 0xF
    if rcode == 3:
        raise TXTError("no such host")
    if rcode:
        raise TXTError(f"server failure (rcode {rcode})")
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    out = []
    for _ in range(an):
        off = _skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == TXT:  # one record: its character-strings joined
            rdata, parts, i = msg[off:off + rdlen], [], 0
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


async def lookup_txt(name: str, servers: list[tuple[str, int]]) -> list[str]:
    """The TXT records of `name` from the first server that answers."""
    last: Exception = TXTError("no nameservers")
    loop = asyncio.get_running_loop()
    for host, port in servers:
        qid = struct.unpack("!H", os.urandom(2))[0]
        transport, proto = await loop.create_datagram_endpoint(_Once, remote_addr=(host, port))
        try:
            transport.sendto(build_query(name, TXT, qid))
            async with asyncio.timeout(TIMEOUT):
                return parse_txt(await proto.answer, qid)
        except (OSError, TimeoutError, TXTError, struct.error, IndexError) as e:
            last = e
        finally:
            transport.close()
    raise TXTError(f"lookup {name}: {last or type(last).__name__}")
