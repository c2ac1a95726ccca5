"""Site addresses and listeners (Caddy's httpcaddyfile/addresses.go): parse each site key,
work out which listener addresses it needs, and group server blocks by identical listener
sets; each group becomes one server (srv0, srv1, ... in sorted listener order).
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.token import Token
from caddy_py.httpcaddyfile.gorepr import go_quote

DEFAULT_HTTP_PORT = 80
DEFAULT_HTTPS_PORT = 443


class AddrError(ValueError):
    pass


def split_host_port(hostport: str) -> tuple[str, str]:
    """Go's net.SplitHostPort; raises AddrError with Go's message."""

    def fail(why: str) -> AddrError:
        return AddrError(f"address {hostport}: {why}")

    j = k = 0
    i = hostport.rfind(":")
    if i < 0:
        raise fail("missing port in address")
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise fail("missing ']' in address")
        if end + 1 == len(hostport):
            raise fail("missing port in address")
        if end + 1 != i:
            if hostport[end + 1] == ":":
                raise fail("too many colons in address")
            raise fail("missing port in address")
        host = hostport[1:end]
        j, k = 1, end + 1
    else:
        host = hostport[:i]
        if ":" in host:
            raise fail("too many colons in address")
    if "[" in hostport[j:]:
        raise fail("unexpected '[' in address")
    if "]" in hostport[k:]:
        raise fail("unexpected ']' in address")
    return host, hostport[i + 1:]


def join_host_port(host: str, port: str) -> str:
    if ":" in host:
        return f"[{host}]:{port}"
    return f"{host}:{port}"


def _go_atoi(s: str) -> int:
    body = s[1:] if s[:1] in "+-" else s
    if not body or not body.isascii() or not body.isdigit():
        raise ValueError(f"strconv.Atoi: parsing {go_quote(s)}: invalid syntax")
    n = int(s)
    if not -(1 << 63) <= n < (1 << 63):
        raise ValueError(f"strconv.Atoi: parsing {go_quote(s)}: value out of range")
    return n


@dataclass(slots=True)
class Address:
    original: str = ""
    scheme: str = ""
    host: str = ""
    port: str = ""
    path: str = ""

    def __str__(self) -> str:
        if not self.host and not self.port:
            return ""
        scheme = self.scheme or ("https" if self.port == str(DEFAULT_HTTPS_PORT) else "http")
        s = scheme + "://"
        if self.port and ((scheme == "https" and self.port != str(DEFAULT_HTTPS_PORT))
                          or (scheme == "http" and self.port != str(DEFAULT_HTTP_PORT))):
            s += join_host_port(self.host, self.port)
        else:
            s += self.host
        return s + self.path

    def normalize(self) -> "Address":
        host = self.host.strip()
        if ":" in host:  # only an IPv6 address is rewritten (to its canonical form)
            try:
                ip = ipaddress.ip_address(host)
            except ValueError:
                ip = None
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
                host = str(ip)
        return Address(self.original, lower_except_placeholders(self.scheme),
                       lower_except_placeholders(host), self.port, self.path)


def parse_address(s: str) -> Address:
    """Caddy's ParseAddress for a site key such as `https://example.com:8443/path`."""
    s = s[:4096]
    remaining = s.strip()
    a = Address(original=remaining)
    if "://" in remaining:
        a.scheme, remaining = remaining.split("://", 1)
    host_part, slash, path = remaining.partition("/")
    if ":" not in host_part and "[" not in host_part and "]" not in host_part:
        host, port = host_part, ""  # what the second split below gives such a name
    else:
        try:
            host, port = split_host_port(host_part)
        except AddrError:
            try:
                host, port = split_host_port(host_part + ":")
            except AddrError:
                host, port = host_part, ""
    a.host, a.port = host, port
    if slash:
        a.path = "/" + path
    if a.port:
        try:
            n = _go_atoi(a.port)
        except ValueError as e:
            raise CaddyfileError(f"invalid port '{a.port}': {e}") from None
        if n < 0 or n > 65535:
            raise CaddyfileError(f"port {n} is out of range")
    return a


def lower_except_placeholders(s: str) -> str:
    if "{" not in s:  # no placeholder: every rune lowered (a backslash lowers to itself)
        return s.lower() if s.isascii() else "".join(map(_go_to_lower, s))
    out = []
    escaped = in_ph = False
    for ch in s:
        if ch == "\\" and not escaped:
            escaped = True
            out.append(ch)
            continue
        if ch == "{" and not escaped:
            in_ph = True
        if ch == "}" and in_ph and not escaped:
            in_ph = False
        out.append(ch if in_ph else _go_to_lower(ch))
        escaped = False
    return "".join(out)


def _go_to_lower(ch: str) -> str:
    """unicode.ToLower: one rune to one rune (Python's lower() may give two, as for U+0130)."""
    low = ch.lower()
    if len(low) == 1:
        return low
    return "i" if ch == "\u0130" else ch


# -- network addresses (caddy.ParseNetworkAddress and friends) ---------------------------------
def is_unix_network(netw: str) -> bool:
    return netw.startswith("unix")


def is_fd_network(netw: str) -> bool:
    return netw.startswith("fd")


def split_network_address(a: str) -> tuple[str, str, str]:
    network = ""
    before, slash, after = a.partition("/")
    if slash:
        network = before.strip().lower()
        a = after
        if is_unix_network(network) or is_fd_network(network):
            return network, a, ""
    try:
        host, port = split_host_port(a)
    except AddrError as first:
        try:
            host, _ = split_host_port(join_host_port(a.strip("[]"), "0"))
        except AddrError as second:
            raise AddrError(f"{first}\n{second}") from None
        port = ""
    return network, host, port


def join_network_address(network: str, host: str, port: str) -> str:
    a = network + "/" if network else ""
    if (host and not port) or is_unix_network(network) or is_fd_network(network):
        a += host
    elif port:
        a += join_host_port(host, port)
    return a


def network_address_string(addr: str) -> str:
    """ParseNetworkAddress(addr).String(): the canonical listener key."""
    network, host, port = split_network_address(addr)
    network = network or "tcp"
    if is_unix_network(network) or is_fd_network(network):
        return join_network_address(network, host, "")
    if port:
        before, dash, after = port.partition("-")
        if not dash:
            after = before
        try:
            start, end = int(before), int(after)
            if not (before.isdigit() and after.isdigit()) or start > 65535 or end > 65535:
                raise ValueError
        except ValueError:
            raise AddrError(f"invalid start port: strconv.ParseUint: parsing {go_quote(before)}: invalid syntax") from None
        if end < start:
            raise AddrError("end port must not be less than start port")
        port_s = str(start) if start == end else f"{start}-{end}"
    else:
        port_s = "0"
    if network == "tcp":
        network = ""
    return join_network_address(network, host, port_s)


def parse_network_port_range(addr: str) -> tuple[int, int] | None:
    """(start, end) port of a listener address, or None if it does not parse."""
    try:
        network, _host, port = split_network_address(addr)
    except AddrError:
        return None
    if is_unix_network(network) or is_fd_network(network):
        return 0, 0
    if not port:
        return 0, 0
    before, dash, after = port.partition("-")
    if not dash:
        after = before
    if not (before.isdigit() and after.isdigit()):
        return None
    return int(before), int(after)


# -- server blocks and listeners ---------------------------------------------------------------
@dataclass
class AddressesWithProtocols:
    """The value of a "bind" ConfigValue: listener addresses and their protocols."""

    addresses: list[str]
    protocols: list[str] | None = None


@dataclass
class BlockView:
    """A caddyfile.ServerBlock (keys may be a subset of the original block's keys)."""

    keys: list[Token]
    segments: list[list[Token]]
    is_named_route: bool = False
    has_braces: bool = True

    def get_keys_text(self) -> list[str]:
        return [k.text for k in self.keys]


@dataclass
class ServerBlockPile:
    """Caddy's serverBlock: a server block, its pile of config values, its parsed keys."""

    block: BlockView
    pile: dict[str, list[Any]]
    parsed_keys: list[Address] = field(default_factory=list)

    def hosts_from_keys(self, logger_mode: bool) -> list[str]:
        hosts: dict[str, None] = {}
        for addr in self.parsed_keys:
            if not addr.host:
                if not logger_mode:
                    return []
                continue
            if logger_mode and addr.port and addr.port not in (str(DEFAULT_HTTP_PORT), str(DEFAULT_HTTPS_PORT)):
                hosts[join_host_port(addr.host, addr.port)] = None
            else:
                hosts[addr.host] = None
        return list(hosts)

    def hosts_from_keys_not_http(self, http_port: str) -> list[str]:
        hosts: dict[str, None] = {}
        for addr in self.parsed_keys:
            if addr.host and addr.scheme != "http" and addr.port != http_port:
                hosts[addr.host] = None
        return list(hosts)

    def has_host_catch_all_key(self) -> bool:
        return any(not a.host for a in self.parsed_keys)

    def is_all_http(self) -> bool:
        return all(a.scheme == "http" for a in self.parsed_keys)


@dataclass
class SbAddrAssociation:
    addresses_with_protocols: list[tuple[str, list[str]]]
    server_blocks: list[ServerBlockPile]


def _port_option(options: dict[str, Any], name: str, default: int) -> str:
    v = options.get(name)
    return str(v) if isinstance(v, int) and not isinstance(v, bool) else str(default)


def listeners_for_server_block_address(sblock: ServerBlockPile, addr: Address,
                                       options: dict[str, Any]) -> dict[str, set[str]]:
    if addr.scheme == "wss":
        raise CaddyfileError("the scheme wss:// is only supported in browsers; use https:// instead")
    if addr.scheme == "ws":
        raise CaddyfileError("the scheme ws:// is only supported in browsers; use http:// instead")
    if addr.scheme not in ("https", "http", ""):
        raise CaddyfileError(f"unsupported URL scheme {addr.scheme}://")
    http_port = _port_option(options, "http_port", DEFAULT_HTTP_PORT)
    https_port = _port_option(options, "https_port", DEFAULT_HTTPS_PORT)
    ln_port = addr.port or (http_port if addr.scheme == "http" else https_port)
    if (addr.scheme == "http" and ln_port == https_port) or (addr.scheme == "https" and ln_port == http_port):
        raise CaddyfileError(f"[{addr}] scheme and port violate convention")

    cfg_vals: list[AddressesWithProtocols] = [
        cv.value for cv in sblock.pile.get("bind", []) if isinstance(cv.value, AddressesWithProtocols)
    ]
    if not cfg_vals:
        default_bind = options.get("default_bind")
        if isinstance(default_bind, list):
            cfg_vals = [cv.value for cv in default_bind]
        else:
            cfg_vals = [AddressesWithProtocols([""], None)]

    listeners: dict[str, set[str]] = {}
    for val in cfg_vals:
        for ln_addr in val.addresses:
            prots = listeners.setdefault(_listener_key(ln_addr, ln_port), set())
            for p in val.protocols or []:
                prots.add(p)
    return listeners


@lru_cache(maxsize=4096)
def _listener_key(ln_addr: str, ln_port: str) -> str:
    """The listener a bind address gives on a port (the same few pairs recur for every site)."""
    try:
        netw, host, _ = split_network_address(ln_addr)
    except AddrError as e:
        raise CaddyfileError(f"splitting listener address: {e}") from None
    try:
        return network_address_string(join_network_address(netw, host, ln_port))
    except AddrError as e:
        raise CaddyfileError(f"parsing network address: {e}") from None


def map_address_to_protocol_to_server_blocks(
    blocks: list[ServerBlockPile], options: dict[str, Any]
) -> dict[str, dict[str, list[ServerBlockPile]]]:
    result: dict[str, dict[str, list[ServerBlockPile]]] = {}
    for i, sblock in enumerate(blocks):
        per_addr: dict[str, dict[str, list[tuple[Token, Address]]]] = {}
        for j, key in enumerate(sblock.block.keys):
            try:
                parsed = parse_address(key.text)
            except CaddyfileError as e:
                raise CaddyfileError(f"parsing key: {e}") from None
            parsed = parsed.normalize()
            try:
                listeners = listeners_for_server_block_address(sblock, parsed, options)
            except CaddyfileError as e:
                raise CaddyfileError(
                    f"server block {i}, key {j} ({key.text}): determining listener address: {e}"
                ) from None
            for addr, protocols in listeners.items():
                by_prot = per_addr.setdefault(addr, {})
                if not protocols:
                    protocols.add("")
                for prot in protocols:
                    by_prot.setdefault(prot, []).append((key, parsed))
        for addr in sorted(per_addr):
            by_prot = per_addr[addr]
            out = result.setdefault(addr, {})
            for prot in sorted(by_prot):
                kws = by_prot[prot]
                out.setdefault(prot, []).append(ServerBlockPile(
                    block=BlockView([k for k, _ in kws], sblock.block.segments,
                                    sblock.block.is_named_route, sblock.block.has_braces),
                    pile=sblock.pile,
                    parsed_keys=[p for _, p in kws],
                ))
    return result


def _same_blocks(a: list[ServerBlockPile] | None, b: list[ServerBlockPile] | None) -> bool:
    """reflect.DeepEqual of two server block lists, as far as it matters here."""
    if a is None or b is None or len(a) != len(b):
        return a is None and b is None
    for x, y in zip(a, b):
        if x.pile is not y.pile and x.pile != y.pile:
            return False
        if x.block.get_keys_text() != y.block.get_keys_text() or x.parsed_keys != y.parsed_keys:
            return False
        if x.block.segments is not y.block.segments:
            return False
    return True


def consolidate_addr_mappings(mapping: dict[str, dict[str, list[ServerBlockPile]]]) -> list[SbAddrAssociation]:
    """One association per distinct list of server blocks, with every listener (and protocol)
    that serves exactly that list."""
    out: list[SbAddrAssociation] = []
    for addr in sorted(mapping):
        by_prot = mapping[addr]
        for prot in sorted(by_prot):
            blocks = by_prot.get(prot)
            listeners: dict[str, set[str]] = {}
            for other_addr, other_by_prot in mapping.items():
                for other_prot in list(other_by_prot):
                    other_blocks = other_by_prot[other_prot]
                    if (addr == other_addr and prot == other_prot) or _same_blocks(blocks, other_blocks):
                        listeners.setdefault(other_addr, set()).add(other_prot)
                        del other_by_prot[other_prot]
            awp = [(ln, sorted(listeners[ln])) for ln in sorted(listeners)]
            out.append(SbAddrAssociation(awp, blocks or []))
    return out
