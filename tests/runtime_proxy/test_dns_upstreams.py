"""Dynamic upstreams from DNS: a small UDP DNS server in the test answers SRV and A queries."""
from __future__ import annotations

import asyncio
import ipaddress
import struct

import pytest

from caddy_py.modules.reverse_proxy.dns import SRVRecord, build_query, parse_answers

from .test_balancing import named


def _name(n: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in n.rstrip(".").split(".")) + b"\x00"


class Zone(asyncio.DatagramProtocol):
    """Answers from a dict {(name, qtype): [rdata bytes]}; NXDOMAIN otherwise."""

    def __init__(self, records: dict[tuple[str, int], list[bytes]]) -> None:
        self.records = records
        self.queries: list[tuple[str, int]] = []

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[override]
        qid = data[:2]
        off, labels = 12, []
        while data[off]:
            labels.append(data[off + 1:off + 1 + data[off]].decode())
            off += 1 + data[off]
        qtype = struct.unpack("!H", data[off + 1:off + 3])[0]
        question = data[12:off + 5]
        name = ".".join(labels).lower() + "."
        self.queries.append((name, qtype))
        answers = self.records.get((name, qtype))
        if answers is None:
            self.transport.sendto(qid + struct.pack("!HHHHH", 0x8183, 1, 0, 0, 0) + question, addr)
            return
        body = b"".join(b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, 30, len(r)) + r for r in answers)
        self.transport.sendto(qid + struct.pack("!HHHHH", 0x8180, 1, len(answers), 0, 0) + question + body, addr)


def srv_rdata(prio: int, weight: int, port: int, target: str) -> bytes:
    return struct.pack("!HHH", prio, weight, port) + _name(target)


@pytest.fixture
async def zone():
    servers = []

    async def make(records):
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(lambda: Zone(records), local_addr=("127.0.0.1", 0))
        servers.append(transport)
        return proto, transport.get_extra_info("sockname")[1]

    yield make
    for t in servers:
        t.close()


def test_parse_srv_answer_with_compression():
    q = build_query("_http._tcp.x.test", 33, 7)
    msg = (struct.pack("!HHHHHH", 7, 0x8180, 1, 1, 0, 0) + q[12:]
           + b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 5, 6 + 2) + struct.pack("!HHH", 1, 2, 80) + b"\xc0\x0c")
    assert parse_answers(msg, 7, 33) == [SRVRecord(1, 2, 80, "_http._tcp.x.test.")]


async def test_srv_upstreams(site, client, upstream, zone):
    up = await upstream(named("via srv"))
    proto, port = await zone({("_http._tcp.svc.test.", 33): [srv_rdata(10, 5, up, "localhost.")]})
    s = await site([{"handler": "reverse_proxy", "dynamic_upstreams": {
        "source": "srv", "service": "http", "proto": "tcp", "name": "svc.test", "refresh": "1m",
        "resolver": {"addresses": [f"127.0.0.1:{port}"]}}}])
    for _ in range(2):
        async with client.get(s.url) as r:
            assert await r.text() == "via srv"
    assert proto.queries == [("_http._tcp.svc.test.", 33)]  # the second request used the cache


async def test_a_upstreams_with_a_resolver_and_srv_failure_falls_back(site, client, upstream, zone):
    up = await upstream(named("via a"))
    proto, port = await zone({("app.test.", 1): [ipaddress.IPv4Address("127.0.0.1").packed]})
    s = await site([{"handler": "reverse_proxy", "dynamic_upstreams": {
        "source": "a", "name": "app.test", "port": str(up), "versions": {"ipv4": True},
        "resolver": {"addresses": [f"udp/127.0.0.1:{port}"]}}}])
    async with client.get(s.url) as r:
        assert await r.text() == "via a"
    static = await upstream(named("static"))
    f = await site([{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{static}"}],
                     "dynamic_upstreams": {"source": "srv", "name": "_x._tcp.missing.test",
                                           "resolver": {"addresses": [f"127.0.0.1:{port}"]}}}])
    async with client.get(f.url) as r:
        assert await r.text() == "static"
