"""TXT lookups for dns-01 over UDP (RFC 1035), against the acme_server's `resolvers`, the tls
app's, or the system's nameservers (Caddy's resolverClient.LookupTxt)."""
from __future__ import annotations

from caddy_py.modules.reverse_proxy.dns import TXT, DNSError, parse_resolver_address, query, system_nameservers

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


async def lookup_txt(name: str, servers: list[tuple[str, int]]) -> list[str]:
    """The TXT records of `name` from the first server that answers."""
    try:
        return [str(r) for r in await query(name, TXT, servers, TIMEOUT)]
    except DNSError as e:
        raise TXTError(str(e)) from None
