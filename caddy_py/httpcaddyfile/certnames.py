"""certmagic's rules for certificate subjects (which names qualify, which are internal, wildcard
matching), and Caddy's lenient variant used to pick implicit issuers (tlsapp.go)."""
from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from caddy_py.httpcaddyfile.addresses import split_host_port

_SPECIAL = frozenset("()[]{}<> \t\n\"\\!@#$%^&|;'+=")
_PRIVATE_NETS = [ipaddress.ip_network(n, strict=False) for n in (
    "127.0.0.0/8", "0.0.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "::1/7", "fe80::/10", "fc00::/7")]


def _parse_ip(s: str) -> Any:
    if ":" not in s and not s[:1].isdigit():
        return None  # neither IPv6 nor dotted IPv4: skip ipaddress's costly failure
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


def _host_only(hostport: str) -> str:
    if ":" not in hostport:
        return hostport  # SplitHostPort fails: "missing port in address"
    try:
        return split_host_port(hostport)[0]
    except ValueError:
        return hostport


@lru_cache(maxsize=1 << 16)  # asked again and again while consolidating policies
def subject_qualifies_for_cert(subj: str) -> bool:
    return (subj.strip() != "" and not subj.startswith(".") and not subj.endswith(".")
            and ("*" not in subj or subj.startswith("*.") or subj == "*")
            and _SPECIAL.isdisjoint(subj))


@lru_cache(maxsize=1 << 16)  # asked again and again while consolidating policies
def subject_is_ip(subj: str) -> bool:
    return _parse_ip(subj) is not None


@lru_cache(maxsize=1 << 16)  # asked again and again while consolidating policies
def subject_is_internal(subj: str) -> bool:
    host = _host_only(subj)
    s = (host[:-1] if host.endswith(".") else host).lower()
    if s == "localhost" or s.endswith((".localhost", ".local", ".internal", ".home.arpa")):
        return True
    ip = _parse_ip(host)
    return ip is not None and any(ip.version == n.version and ip in n for n in _PRIVATE_NETS)


@lru_cache(maxsize=1 << 16)  # asked again and again while consolidating policies
def certmagic_qualifies_for_public_cert(subj: str) -> bool:
    return (subject_qualifies_for_cert(subj) and not subject_is_internal(subj)
            and ("*" not in subj or (subj.count("*") == 1 and subj.count(".") > 1 and len(subj) > 2
                                     and subj.startswith("*."))))


def match_wildcard(subject: str, wildcard: str) -> bool:
    subject, wildcard = subject.lower(), wildcard.lower()
    if subject == wildcard:
        return True
    if "*" not in wildcard:
        return False
    labels = subject.split(".")
    for i, label in enumerate(labels):
        if not label:
            continue
        labels[i] = "*"
        if ".".join(labels) == wildcard:
            return True
    return False


def subject_qualifies_for_public_cert(ap: Any, subj: str) -> bool:
    """Caddy's lenient variant: IPs never; *.*.x only with on-demand."""
    return not subject_is_ip(subj) and not subject_is_internal(subj) and (subj.count("*.") < 2 or ap.on_demand)


def is_tailscale_domain(name: str) -> bool:
    return name.lower().endswith(".ts.net")
