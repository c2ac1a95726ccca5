"""Automatic HTTPS for the http app (Caddy's automaticHTTPSPhase1), run at the start of the http
app's provisioning: servers that serve hostnames get TLS, the names get managed certificates
(internal issuer for names no public CA would certify), and HTTP→HTTPS redirects are added on
`http_port` (to a server already listening there, else to `remaining_auto_https_redirects`).
"""
from __future__ import annotations

import ipaddress
import logging
from typing import Any

from caddy_py.config.context import ConfigError, Context

LOG = logging.getLogger("http.auto_https")
REDIRECT_SERVER = "remaining_auto_https_redirects"
_BAD_CHARS = set("()[]{}<> \t\n\"\\!@#$%^&|;'+=")
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".test", ".invalid", ".example")


def _is_ip(s: str) -> bool:
    try:
        ipaddress.ip_address(s.strip("[]"))
        return True
    except ValueError:
        return False


def qualifies_for_cert(d: str) -> bool:
    """certmagic.SubjectQualifiesForCert (roughly): a usable DNS name, IP or wildcard."""
    if not d or d.startswith(".") or d.endswith(".") or ".." in d or d == "*":
        return False
    if any(c in _BAD_CHARS for c in d):
        return _is_ip(d)
    if "*" in d and (not d.startswith("*.") or "*" in d[1:]):
        return False
    return True


def qualifies_for_public_cert(d: str) -> bool:
    d = d.lower()
    if d == "localhost" or d.endswith(INTERNAL_SUFFIXES) or "." not in d.strip("*."):
        return False
    if _is_ip(d):
        ip = ipaddress.ip_address(d.strip("[]"))
        return not (ip.is_private or ip.is_loopback or ip.is_link_local)
    return True


def _hosts(routes: list[dict[str, Any]] | None) -> list[str]:
    out: list[str] = []
    for r in routes or []:
        for ms in r.get("match") or []:
            for h in (ms or {}).get("host") or []:
                if h not in out:
                    out.append(h)
    return out


def _uses_other_port(srv: Any, port: int) -> bool:
    """Caddy's listenersUseAnyPortOtherThan: some listen range does not contain `port`."""
    from caddy_py.http.listeners import parse_network_address

    for listen in srv.cfg.get("listen") or []:
        try:
            a = parse_network_address(str(listen))
        except ConfigError:
            continue
        if not (a.start_port <= port <= a.end_port):
            return True
    return False


def redirect_route(to_port: int, http_port: int, https_port: int, hosts: list[str] | None) -> dict[str, Any]:
    loc = "https://{http.request.host}"
    if to_port not in (http_port, https_port, 80, 443):
        loc += f":{to_port}"
    m: dict[str, Any] = {"protocol": "http"}
    if hosts:
        m["host"] = hosts
    return {"match": [m], "handle": [{"handler": "static_response", "headers": {"Location": [loc + "{http.request.uri}"]},
                                       "status_code": 308, "close": True}]}


async def automatic_https(http_app: Any, ctx: Context) -> None:
    from caddy_py.http.listeners import parse_network_address
    from caddy_py.http.server import HTTPServer
    from caddy_py.tls.app import ServerTLS, tls_app

    cfg = http_app.cfg
    http_port = int(cfg.get("http_port") or 80)
    https_port = int(cfg.get("https_port") or 443)
    tls = None
    certs: dict[str, bool] = {}
    redirs: dict[str, list[tuple[str, Any]]] = {}  # domain → [(listen addr string, parsed)]
    log_cfg = None
    all_disabled = True
    for name in sorted(http_app.servers):
        srv = http_app.servers[name]
        ah = srv.cfg.get("automatic_https") or {}
        if ah.get("disable"):
            LOG.info("automatic HTTPS is completely disabled for server", extra={"caddy_fields": {"server_name": name}})
            continue
        if not _uses_other_port(srv, http_port):
            LOG.warning("server is listening only on the HTTP port, so no automatic HTTPS will be applied to "
                        "this server", extra={"caddy_fields": {"server_name": name, "http_port": http_port}})
            continue
        all_disabled = False
        if srv.cfg.get("tls_connection_policies") is None and not _uses_other_port(srv, https_port):
            srv.cfg["tls_connection_policies"] = [{}]
        skip = ah.get("skip") or []
        domains = [d for d in _hosts(srv.cfg.get("routes")) if d not in skip]
        if not domains and not srv.cfg.get("tls_connection_policies"):
            continue
        if srv.cfg.get("logs") is not None:
            log_cfg = srv.cfg.get("logs")
        if tls is None:
            tls = await tls_app(ctx)
        if not ah.get("disable_certificates"):
            for d in domains:
                if not qualifies_for_cert(d) or d in (ah.get("skip_certificates") or []):
                    continue
                if not ah.get("ignore_loaded_certificates") and tls.has_certificate_for(d):
                    LOG.info("skipping automatic certificate management because one or more matching "
                             "certificates are already loaded", extra={"caddy_fields": {"domain": d, "server_name": name}})
                    continue
                certs[d] = not qualifies_for_public_cert(d) or _is_ip(d)
        if srv.cfg.get("tls_connection_policies") is None:
            srv.cfg["tls_connection_policies"] = [{}]
        if ah.get("disable_redirects"):
            continue
        LOG.info("enabling automatic HTTP->HTTPS redirects", extra={"caddy_fields": {"server_name": name}})
        for listen in srv.cfg.get("listen") or []:
            addr = parse_network_address(str(listen))
            for d in domains or [""]:
                _record(redirs, d, addr, https_port)
    if not (all_disabled and not certs):
        if tls is not None:
            tls.manage(certs)
        _add_redirects(http_app, redirs, http_port, https_port, bool(certs), log_cfg, HTTPServer)
    if tls is None and any(s.cfg.get("tls_connection_policies") is not None for s in http_app.servers.values()):
        tls = await tls_app(ctx)
    _attach(http_app, tls, ServerTLS)


def _record(redirs: dict[str, list[Any]], d: str, addr: Any, https_port: int) -> None:
    have = redirs.get(d)
    if not have:
        redirs[d] = [addr]
        return
    if addr.start_port != have[0].start_port:
        if addr.start_port == https_port and have[0].start_port != https_port:
            redirs[d] = [addr]
        return
    if addr not in have:
        have.append(addr)


def _add_redirects(http_app: Any, redirs: dict[str, list[Any]], http_port: int, https_port: int,
                   have_certs: bool, log_cfg: Any, server_cls: Any) -> None:
    by_addr: dict[Any, list[str]] = {}
    for d, addrs in redirs.items():
        for a in addrs:
            by_addr.setdefault(a, []).append(d)
    servers: dict[str, list[dict[str, Any]]] = {}  # by listener key
    listen: dict[str, str] = {}  # listener key → listen address
    for addr, domains in by_addr.items():
        hosts = None if domains == [""] else sorted(domains, key=_specificity)
        host = f"[{addr.host}]" if ":" in addr.host else addr.host
        listen[f"{addr.network}/{addr.host}:{http_port}"] = f"{addr.network}/{host}:{http_port}"
        servers.setdefault(f"{addr.network}/{addr.host}:{http_port}", []).append(redirect_route(addr.start_port, http_port, https_port, hosts))
    catch_all = redirect_route(https_port, http_port, https_port, None)
    leftover_addrs: list[str] = []
    leftover_routes: list[dict[str, Any]] = []
    for redir_addr in sorted(servers):
        routes = servers[redir_addr]
        target = None
        for name in sorted(http_app.servers):
            srv = http_app.servers[name]
            if any(a.key() == redir_addr for a in srv.addresses):
                target = srv
                break
        if target is None:
            leftover_addrs.append(listen[redir_addr])
            leftover_routes += routes
            continue
        own = target.cfg.setdefault("routes", [])
        idx = max((i + 1 for i, r in enumerate(own)
                   if any((ms or {}).get("host") for ms in r.get("match") or [])), default=0)
        if have_certs:
            own[idx:idx] = routes
        own.append(catch_all)
    if leftover_addrs:
        cfg: dict[str, Any] = {"listen": leftover_addrs, "routes": leftover_routes + [catch_all]}
        if log_cfg is not None:
            cfg["logs"] = log_cfg
        http_app.servers[REDIRECT_SERVER] = server_cls(REDIRECT_SERVER, cfg)


def _specificity(h: str) -> tuple[int, int, str]:
    return ("*" in h, -len(h), h)  # type: ignore[return-value]


def _attach(http_app: Any, tls: Any, server_tls_cls: Any = None) -> None:
    """Give every server with connection policies its ServerTLS (`srv.tls`)."""
    for name, srv in http_app.servers.items():
        pols = srv.cfg.get("tls_connection_policies")
        if pols is not None and tls is not None and server_tls_cls is not None:
            srv.tls = server_tls_cls(name, pols, tls)
