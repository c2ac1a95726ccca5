"""Upstream addresses as reverse_proxy's Caddyfile writes them (Caddy's reverseproxy/addresses.go):
`host:port`, `scheme://host:port`, `unix//path`, port ranges and placeholders, turned into
dial addresses. Adapter side only (no runtime imports); errors carry Go's wording.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from caddy_py.httpcaddyfile.addresses import (
    AddrError,
    go_quote,
    is_fd_network,
    is_unix_network,
    join_host_port,
    join_network_address,
    split_network_address,
)

MAX_PORT_SPAN = 65535


class UpstreamError(ValueError):
    pass


@dataclass
class ParsedAddr:
    network: str = ""
    scheme: str = ""
    host: str = ""
    port: str = ""

    def dial_addr(self) -> str:
        if self.network:
            return join_network_address(self.network, self.host, self.port)
        if not self.port and "{" in self.host:
            return self.host
        return join_host_port(self.host, self.port)

    def ranged_port(self) -> bool:
        return "-" in self.port

    def replaceable_port(self) -> bool:
        return "{" in self.port and "}" in self.port

    def is_unix(self) -> bool:
        return is_unix_network(self.network)


@dataclass
class _URL:
    scheme: str
    host: str  # host[:port] as written
    path: str
    query: str
    fragment: str

    def hostname(self) -> str:
        host, _ = _split_url_host(self.host)
        return host.strip("[]") if host.startswith("[") else host

    def port(self) -> str:
        return _split_url_host(self.host)[1]


def _split_url_host(hostport: str) -> tuple[str, str]:
    colon = hostport.rfind(":")
    if colon != -1 and (not hostport.startswith("[") or "]" in hostport[:colon]):
        port = hostport[colon + 1:]
        if port.isdigit() or port == "":
            return hostport[:colon], port
    return hostport, ""


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*")


def go_url_parse(raw: str) -> _URL:
    """Enough of Go's url.Parse for `scheme://authority[/path][?query][#fragment]`."""

    def fail(why: str) -> UpstreamError:
        return UpstreamError(f"parse {go_quote(raw)}: {why}")

    rest, _, fragment = raw.partition("#")
    colon = rest.find(":")
    if colon == 0:
        raise fail("missing protocol scheme")
    scheme = ""
    if colon > 0 and _SCHEME.fullmatch(rest[:colon]):
        scheme, rest = rest[:colon].lower(), rest[colon + 1:]
    rest, _, query = rest.partition("?")
    host = ""
    if rest.startswith("//"):
        authority, slash, path = rest[2:].partition("/")
        rest = slash + path
        host = authority.rpartition("@")[2]
        if host.startswith("["):
            end = host.find("]")
            if end < 0:
                raise fail("missing ']' in host")
            port = host[end + 1:]
            if port and (not port.startswith(":") or not port[1:].isdigit()):
                raise fail(f"invalid port {go_quote(port)} after host")
        else:
            i = host.rfind(":")
            if i != -1:
                port = host[i:]
                if not port[1:].isdigit() and port != ":":
                    raise fail(f"invalid port {go_quote(port)} after host")
    return _URL(scheme, host, rest, query, fragment)


def parse_upstream_dial_address(addr: str) -> ParsedAddr:
    network = scheme = host = port = ""
    if "://" in addr:
        if "{" in addr:
            raise UpstreamError("due to parsing difficulties, placeholders are not allowed when an "
                                "upstream address contains a scheme")
        try:
            url = go_url_parse(addr)
        except UpstreamError as e:
            if "invalid port" in str(e) and "-" in str(e):
                index = addr.rfind(":")
                port_range = addr[index + 1:]
                if port_range.count("-") != 1:
                    raise UpstreamError(f'parsing upstream URL: parse "{addr}": port range invalid: '
                                        f"{port_range}") from None
                try:
                    url = go_url_parse(addr.replace(port_range, "0"))
                except UpstreamError as e2:
                    raise UpstreamError(f"parsing upstream URL: {e2}") from None
                port = port_range
            else:
                raise UpstreamError(f"parsing upstream URL: {e}") from None
        if not port:
            port = url.port()
        if url.path or url.query or url.fragment:
            raise UpstreamError("for now, URLs for proxy upstreams only support scheme, host, and port components")
        if url.scheme == "http" and port == "443":
            raise UpstreamError("upstream address has conflicting scheme (http://) and port (:443, the HTTPS port)")
        if url.scheme == "https" and port == "80":
            raise UpstreamError("upstream address has conflicting scheme (https://) and port (:80, the HTTP port)")
        if url.scheme == "h2c" and port == "443":
            raise UpstreamError("upstream address has conflicting scheme (h2c://) and port (:443, the HTTPS port)")
        if not port:
            if url.scheme in ("", "http", "h2c"):
                port = "80"
            elif url.scheme == "https":
                port = "443"
        scheme, host = url.scheme, url.hostname()
    else:
        try:
            network, host, port = split_network_address(addr)
        except AddrError:
            host = addr
        if not port and "{" not in host and not is_unix_network(network) and not is_fd_network(network):
            port = "80"
    if network == "unix+h2c":
        network, scheme = "unix", "h2c"
    return ParsedAddr(network, scheme, host, port)


def _parse_port(text: str, which: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise UpstreamError(f"invalid {which} port: strconv.ParseUint: parsing {go_quote(text)}: invalid syntax")
    n = int(text)
    if n > 65535:
        raise UpstreamError(f"invalid {which} port: strconv.ParseUint: parsing {go_quote(text)}: value out of range")
    return n


def parse_network_address(addr: str) -> tuple[str, str, int, int]:
    """caddy.ParseNetworkAddress: (network, host, start port, end port)."""
    try:
        network, host, port = split_network_address(addr)
    except AddrError as e:
        raise UpstreamError(str(e)) from None
    if is_unix_network(network) or is_fd_network(network):
        return network, host, 0, 0
    if not port:
        return network, host, 0, 0
    before, dash, after = port.partition("-")
    if not dash:
        after = before
    start = _parse_port(before, "start")
    end = _parse_port(after, "end")
    if end < start:
        raise UpstreamError("end port must not be less than start port")
    if end - start > MAX_PORT_SPAN:
        raise UpstreamError(f"port range exceeds {MAX_PORT_SPAN} ports")
    return network, host, start, end
