"""Preparing the upstream request's headers once per request, as Caddy does: hop-by-hop
removal (keeping an Upgrade), X-Forwarded-* replaced unless the client is a trusted proxy,
`Via: 1.1 Caddy`, and an empty User-Agent kept empty.
"""
from __future__ import annotations

import ipaddress
from typing import Iterable

from multidict import CIMultiDict

HOP_HEADERS = ("Alt-Svc", "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
               "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade")

_WS_CASE = {"sec-websocket-accept": "Sec-WebSocket-Accept", "sec-websocket-extensions":
            "Sec-WebSocket-Extensions", "sec-websocket-key": "Sec-WebSocket-Key",
            "sec-websocket-protocol": "Sec-WebSocket-Protocol",
            "sec-websocket-version": "Sec-WebSocket-Version"}

IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted(entries: Iterable[str]) -> list[IPNet]:
    nets: list[IPNet] = []
    for e in entries:
        if "/" in e:
            nets.append(ipaddress.ip_network(e, strict=False))
        else:
            nets.append(ipaddress.ip_network(ipaddress.ip_address(e)))
    return nets


def upgrade_type(h: CIMultiDict[str]) -> str:
    conn = ",".join(h.getall("Connection", [])).lower()
    if "upgrade" not in [t.strip() for t in conn.split(",")]:
        return ""
    return h.get("Upgrade", "").lower()


def remove_hop_headers(h: CIMultiDict[str], keep_te_trailers: bool = False) -> None:
    for value in h.getall("Connection", []):
        for name in value.split(","):
            if name.strip():
                h.popall(name.strip(), None)
    te_trailers = keep_te_trailers and any("trailers" in v.lower() for v in h.getall("Te", []))
    for name in HOP_HEADERS:
        h.popall(name, None)
    if te_trailers:
        h["Te"] = "trailers"


def prepare_headers(h: CIMultiDict[str], *, remote_addr: str, scheme: str, host: str,
                    trusted_nets: list[IPNet], trusted: bool = False, proto: str = "1.1") -> str:
    """Mutate `h` into the upstream request's headers; returns the upgrade type or ""."""
    if "User-Agent" not in h:
        h["User-Agent"] = ""
    up = upgrade_type(h)
    remove_hop_headers(h, keep_te_trailers=True)
    if up:
        h["Connection"] = "Upgrade"
        h["Upgrade"] = up
        for low, canon in _WS_CASE.items():
            vals = h.getall(low, [])
            if vals:
                h.popall(low)
                for v in vals:
                    h.add(canon, v)
    _forwarded(h, remote_addr, scheme, host, trusted_nets, trusted)
    h.add("Via", f"{proto} Caddy")
    return up


def _forwarded(h: CIMultiDict[str], remote_addr: str, scheme: str, host: str,
               nets: list[IPNet], trusted: bool) -> None:
    client_ip = remote_addr.rsplit(":", 1)[0].strip("[]") if ":" in remote_addr else ""
    if not client_ip:
        for f in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"):
            h.popall(f, None)
        return
    client_ip = client_ip.split("%", 1)[0]
    if nets and not trusted:  # only a trusted_proxies list needs the address parsed
        try:
            ip = ipaddress.ip_address(client_ip)
            trusted = any(ip in n for n in nets)
        except ValueError:
            pass
    prior = ", ".join(h.getall("X-Forwarded-For", []))
    if trusted and prior:
        h["X-Forwarded-For"] = f"{prior}, {client_ip}"
    else:
        h["X-Forwarded-For"] = client_ip
    last_proto = (h.getall("X-Forwarded-Proto", []) or [""])[-1]
    h["X-Forwarded-Proto"] = last_proto if trusted and last_proto else scheme
    last_host = (h.getall("X-Forwarded-Host", []) or [""])[-1]
    h["X-Forwarded-Host"] = last_host if trusted and last_host else host
