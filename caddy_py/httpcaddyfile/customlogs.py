"""Access and custom logs in the adapted config (the logging parts of Caddy's httptype.go):
which hosts log to which logger, and the top-level `logging` section."""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile import addresses as addrs
from caddy_py.httpcaddyfile.addresses import SbAddrAssociation, ServerBlockPile


def add_log_associations(srv: dict, sb: ServerBlockPile, hosts: list[str]) -> None:
    log_hosts = sb.hosts_from_keys(True)
    for cv in sb.pile.get("custom_log", []):
        ncl = cv.value
        if ncl.no_hostname:
            continue
        logs = srv["logs"]
        if sb.has_host_catch_all_key() and not ncl.hostnames:
            logs["default_logger_name"] = ncl.name
        elif ncl.hostnames:
            for h in ncl.hostnames:
                logs.setdefault("logger_names", {}).setdefault(h, []).append(ncl.name)
        else:
            for h in log_hosts:
                try:
                    host, _ = addrs.split_host_port(h)
                except addrs.AddrError:
                    host = h
                logs.setdefault("logger_names", {}).setdefault(host, []).append(ncl.name)
    if "logs" in srv and not sb.pile.get("custom_log"):
        if not hosts:
            srv["logs"]["skip_unmapped_hosts"] = True
        if log_hosts:
            srv["logs"].setdefault("skip_hosts", []).extend(log_hosts)
    if "logs" in srv and "logger_names" in srv["logs"]:
        ln = srv["logs"]["logger_names"]
        srv["logs"]["logger_names"] = {k: ln[k] for k in sorted(ln)}


def collect_custom_logs(pairings: list[SbAddrAssociation], options: dict[str, Any]) -> list[Any]:
    """Every named custom log (global `log` options first, then sites'), with `debug` applied."""
    from caddy_py.httpcaddyfile.logging import CustomLog, NamedCustomLog

    logs: list[Any] = []
    has_default = False
    debug = "debug" in options

    def add(ncl: Any) -> None:
        nonlocal has_default
        if not ncl.name:
            return
        if ncl.name == "default":
            has_default = True
        if debug and ncl.log is not None and not ncl.log.level:
            ncl.log.level = "DEBUG"
        logs.append(ncl)

    for cv in options.get("log") or []:
        add(cv.value)
    if not has_default and debug:
        logs.append(NamedCustomLog(name="default", log=CustomLog(level="DEBUG")))
    for p in pairings:
        for sb in p.server_blocks:
            for cv in sb.pile.get("custom_log", []):
                add(cv.value)
    return logs


def build_logging(custom_logs: list[Any]) -> dict | None:
    """The `logging` section: the default log first, then the others; a log that includes
    some loggers excludes them from the default log."""
    from caddy_py.httpcaddyfile.logging import CustomLog

    if not custom_logs:
        return None
    out: dict[str, Any] = {}
    for ncl in custom_logs:
        if ncl.name == "default" and ncl.log is not None:
            out["default"] = ncl.log
            break
    for ncl in custom_logs:
        if ncl.log is None or ncl.name == "default":
            continue
        out[ncl.name] = ncl.log
        if ncl.log.include:
            dl = out.get("default")
            if dl is None:
                dl = out["default"] = CustomLog()
            dl.exclude = sorted(set(list(dl.exclude or []) + list(ncl.log.include)))
    if not out:
        return None
    return {"logs": {k: out[k] for k in sorted(out)}}
