"""Global options (Caddy's options.go). Each parser gets a Dispenser over its segment and returns
the value stored under its name in the adapter's `options` dict (Go's `options` map):

* debug, skip_install_trust, local_certs → True
* http_port, https_port → int; grace_period, shutdown_delay, renew_interval, ocsp_interval,
  cert_lifetime → int nanoseconds; storage_clean_interval → int ns or False ("off")
* default_bind, log → list[ConfigValue] (folded across repeats by `fold_global_option`)
* servers → list[ServerOptions] (folded, then sorted by `finish_global_options`)
* admin → dict (AdminConfig JSON); storage, dns, acme_dns → module JSON dicts (acme_dns may be None)
* cert_issuer → list of issuer objects; acme_eab, on_demand_tls, ocsp_stapling, preferred_chains,
  ech, metrics → dicts; auto_https, tls_resolvers → list[str]; order → the new directive order
* everything else that takes one word → str
"""
from __future__ import annotations

from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile import pkiapp as _pkiapp  # noqa: F401  (registers "pki")
from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_duration
from caddy_py.httpcaddyfile.modparsers import module_name, unmarshal_module
from caddy_py.httpcaddyfile.registry import DIRECTIVES, ConfigValue, global_option
from caddy_py.httpcaddyfile.routes import json_module_object
from caddy_py.httpcaddyfile.serveroptions import ServerOptions, parse_server_options
from caddy_py.httpcaddyfile.tlsmodules import dns_provider, parse_preferred_chains

DEFAULT_ADMIN_LISTEN = "localhost:2019"


def _opt_true(d: Dispenser, _: Any) -> bool:
    return True


for _name in ("debug", "skip_install_trust", "local_certs"):
    global_option(_name)(_opt_true)


def _port(d: Dispenser, _: Any) -> int:
    d.next()
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    try:
        return atoi(args[0])
    except GoValueError as e:
        raise d.err(f"converting port '{args[0]}' to integer value: {e}") from None


global_option("http_port")(_port)
global_option("https_port")(_port)


def _duration(d: Dispenser, _: Any) -> int:
    if not d.next() or not d.next():
        raise d.arg_err()
    try:
        return parse_duration(d.val())
    except GoValueError as e:
        raise CaddyfileError(str(e)) from None


for _name in ("grace_period", "shutdown_delay", "renew_interval", "ocsp_interval", "cert_lifetime"):
    global_option(_name)(_duration)


def _single_string(d: Dispenser, _: Any) -> str:
    d.next()
    if not d.next():
        raise d.arg_err()
    val = d.val()
    if d.next():
        raise d.arg_err()
    return val


for _name in ("default_sni", "fallback_sni", "acme_ca", "acme_ca_root", "email", "key_type"):
    global_option(_name)(_single_string)


@global_option("default_bind")
def parse_opt_default_bind(d: Dispenser, _: Any) -> list[ConfigValue]:
    d.next()
    addresses = d.remaining_args() or [""]
    protocols: list[str] | None = None
    while d.next_block(0):
        if d.val() == "protocols":
            protocols = d.remaining_args()
            if not protocols:
                raise d.err("protocols requires one or more arguments")
        else:
            raise d.err(f"unknown subdirective: {d.val()}")
    return [ConfigValue("bind", AddressesWithProtocols(addresses, protocols))]


@global_option("order")
def parse_opt_order(d: Dispenser, _: Any) -> list[str]:
    from caddy_py.httpcaddyfile.directives import current_directive_order, set_directive_order

    d.next()
    if not d.next():
        raise d.arg_err()
    name = d.val()
    if name not in DIRECTIVES:
        raise d.err(f"{name} is not a registered directive")
    if not d.next():
        raise d.arg_err()
    pos = d.val()
    order = [x for x in current_directive_order() if x != name]
    if pos in ("first", "last"):
        order = [name] + order if pos == "first" else order + [name]
        if d.next_arg():
            raise d.arg_err()
        set_directive_order(order)
        return order
    if pos not in ("before", "after"):
        raise d.err(f"unknown positional '{pos}'")
    if not d.next_arg():
        raise d.arg_err()
    other = d.val()
    if d.next_arg():
        raise d.arg_err()
    if other not in order:
        raise d.err(f"directive '{other}' not found")
    i = order.index(other) + (1 if pos == "after" else 0)
    order.insert(i, name)
    set_directive_order(order)
    return order


@global_option("storage")
def parse_opt_storage(d: Dispenser, _: Any) -> dict:
    if not d.next() or not d.next():
        raise d.arg_err()
    mod_id = "caddy.storage." + d.val()
    return json_module_object(unmarshal_module(d, mod_id), "module", module_name(mod_id))


def _must_be_off(name: str) -> None:
    def parse(d: Dispenser, existing: Any) -> str:
        val = _single_string(d, existing)
        if val != "off":
            raise d.err(f"{name} must be 'off'")
        return val

    global_option(name)(parse)


_must_be_off("storage_check")
_must_be_off("persist_config")


@global_option("storage_clean_interval")
def parse_storage_clean_interval(d: Dispenser, _: Any) -> int | bool:
    d.next()
    if not d.next():
        raise d.arg_err()
    val = d.val()
    if d.next():
        raise d.arg_err()
    if val == "off":
        return False
    try:
        return parse_duration(val)
    except GoValueError as e:
        raise d.err(f"failed to parse storage_clean_interval, must be a duration or 'off' {e}") from None


@global_option("acme_eab")
def parse_opt_acme_eab(d: Dispenser, _: Any) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    eab = {"key_id": "", "mac_key": ""}
    while d.next_block(0):
        key = d.val()
        if key not in eab:
            raise d.err(f"unrecognized parameter '{key}'")
        if not d.next_arg():
            raise d.arg_err()
        eab[key] = d.val()
    return {k: v for k, v in eab.items() if v}


@global_option("cert_issuer")
def parse_opt_cert_issuer(d: Dispenser, existing: Any) -> list[Any]:
    d.next()
    issuers = list(existing or [])
    if not d.next():
        raise d.arg_err()
    issuers.append(unmarshal_module(d, "tls.issuance." + d.val()))
    return issuers


@global_option("tls_resolvers")
def parse_opt_tls_resolvers(d: Dispenser, _: Any) -> list[str]:
    d.next()
    resolvers = d.remaining_args()
    if not resolvers:
        raise d.arg_err()
    return resolvers


@global_option("admin")
def parse_opt_admin(d: Dispenser, _: Any) -> dict:
    d.next()
    disabled = False
    listen = ""
    enforce_origin = False
    origins: list[str] | None = None
    if d.next_arg():
        if d.val() == "off":
            disabled = True
            if d.next():
                raise d.err("No more option is allowed after turning off admin config")
        else:
            listen = d.val()
            if d.next_arg():
                raise d.arg_err()
    while d.next_block(0):
        if d.val() == "enforce_origin":
            enforce_origin = True
        elif d.val() == "origins":
            origins = d.remaining_args()
        else:
            raise d.err(f"unrecognized parameter '{d.val()}'")
    if not listen and not disabled:
        listen = DEFAULT_ADMIN_LISTEN
    out: dict[str, Any] = {}
    if disabled:
        out["disabled"] = True
    if listen:
        out["listen"] = listen
    if enforce_origin:
        out["enforce_origin"] = True
    if origins:
        out["origins"] = origins
    return out


@global_option("on_demand_tls")
def parse_opt_on_demand(d: Dispenser, _: Any) -> dict:
    d.next()
    if d.next_arg():
        raise d.arg_err()
    ond: dict[str, Any] | None = None
    nesting = d.nesting
    while d.next_block(nesting):
        sub = d.val()
        if sub in ("ask", "permission"):
            if not d.next_arg():
                raise d.arg_err()
            ond = ond if ond is not None else {}
            if "permission" in ond:
                raise d.err("on-demand TLS permission module (or 'ask') already specified")
            if sub == "ask":
                ond["permission"] = json_module_object({"endpoint": d.val()}, "module", "http")
            else:
                name = d.val()
                ond["permission"] = json_module_object(unmarshal_module(d, "tls.permission." + name), "module", name)
        elif sub in ("interval", "burst"):
            raise d.err(f"the on_demand_tls '{sub}' option is no longer supported, remove it from your config")
        else:
            raise d.err(f"unrecognized parameter '{sub}'")
    if ond is None:
        raise d.err("expected at least one config parameter for on_demand_tls")
    return ond


@global_option("auto_https")
def parse_opt_auto_https(d: Dispenser, _: Any) -> list[str]:
    d.next()
    vals = d.remaining_args()
    if not vals:
        raise d.arg_err()
    for v in vals:
        if v not in ("off", "disable_redirects", "disable_certs", "ignore_loaded_certs"):
            raise d.err("auto_https must be one of 'off', 'disable_redirects', 'disable_certs', or "
                        "'ignore_loaded_certs'")
    return vals


@global_option("metrics")
def parse_metrics_options(d: Dispenser, _: Any) -> dict:
    d.next()
    out: dict[str, Any] = {}
    while d.next_block(0):
        key = d.val()
        if key not in ("per_host", "observe_catchall_hosts", "otlp"):
            raise d.err(f"unrecognized servers option '{key}'")
        out[key] = True
    return {k: True for k in ("per_host", "observe_catchall_hosts", "otlp") if k in out}


@global_option("servers")
def _parse_servers(d: Dispenser, _: Any) -> ServerOptions:
    return parse_server_options(d)


@global_option("ocsp_stapling")
def parse_ocsp_stapling_options(d: Dispenser, _: Any) -> dict:
    d.next()
    args = d.all_args(1)
    if args is None:
        raise d.arg_err()
    if args[0] != "off":
        raise d.err(f"invalid argument '{args[0]}'")
    return {"disable_stapling": True}


@global_option("log")
def parse_log_options(d: Dispenser, existing: Any) -> list[ConfigValue]:
    from caddy_py.httpcaddyfile.builtins import parse_log_helper

    names = {cv.value.name for cv in existing or []}
    return parse_log_helper(d, names)


@global_option("preferred_chains")
def parse_opt_preferred_chains(d: Dispenser, _: Any) -> dict:
    d.next()
    return parse_preferred_chains(d)


def _parse_dns(d: Dispenser, _: Any) -> dict | None:
    d.next()
    opt = d.val()
    if not d.next():
        if opt == "acme_dns":
            return None
        raise d.arg_err()
    return dns_provider(d)


global_option("dns")(_parse_dns)
global_option("acme_dns")(_parse_dns)


@global_option("ech")
def parse_opt_ech(d: Dispenser, _: Any) -> dict:
    d.next()
    names = d.remaining_args()
    if not names:
        raise d.arg_err()
    ech: dict[str, Any] = {"configs": [{"public_name": n} for n in names]}
    nesting = d.nesting
    while d.next_block(nesting):
        if d.val() != "dns":
            raise d.err(f"ech: unrecognized subdirective '{d.val()}'")
        if not d.next():
            raise d.arg_err()
        ech.setdefault("publication", []).append(
            {"configs": names, "publishers": {"dns": {"provider": dns_provider(d)}}})
    return ech


@global_option("renewal_window_ratio")
def parse_opt_renewal_window_ratio(d: Dispenser, _: Any) -> float:
    from caddy_py.httpcaddyfile.builtins import parse_ratio

    d.next()
    if not d.next():
        raise d.arg_err()
    ratio = parse_ratio(d, d.val())
    if d.next():
        raise d.arg_err()
    return ratio


@global_option("filesystem")
def parse_filesystems(d: Dispenser, existing: Any) -> dict:
    """`filesystem <name> <module> {...}` (Caddy's caddyfs): the caddy.filesystems app."""
    app = existing if isinstance(existing, dict) else {"filesystems": []}
    d.next()
    if not d.next_arg():
        raise d.arg_err()
    key = d.val()
    if not d.next_arg():
        raise d.arg_err()
    mod = d.val()
    fs = json_module_object(unmarshal_module(d, "caddy.fs." + mod), "backend", mod)
    app["filesystems"].append({"name": key, "file_system": fs})
    return app


# -- folding repeated options (Caddy's evaluateGlobalOptionsBlock) ----------------------------------
def fold_global_option(options: dict[str, Any], name: str, value: Any) -> None:
    """Store an option's value: servers, log and default_bind accumulate across repeats."""
    if name == "servers":
        options.setdefault("servers", []).append(value)
    elif name in ("log", "default_bind"):
        options[name] = list(options.get(name) or []) + list(value)
    else:
        options[name] = value


def finish_global_options(options: dict[str, Any]) -> None:
    """After the options block: order `servers` by listener address length (longest first,
    Go's unstable sort.Slice on few items behaves as insertion sort) and reject duplicates."""
    servers = options.get("servers")
    if not servers:
        return
    from caddy_py.httpcaddyfile.gosort import slice_stable

    slice_stable(servers, lambda a, b: len(a.listener_address) > len(b.listener_address))
    seen: set[str] = set()
    for s in servers:
        if s.listener_address in seen:
            raise CaddyfileError("cannot have 'servers' global options with duplicate listener addresses: "
                                 f"{s.listener_address}")
        seen.add(s.listener_address)


def build_admin(options: dict[str, Any]) -> dict | None:
    """The config's "admin" object from `admin` and `persist_config off`."""
    admin = dict(options["admin"]) if isinstance(options.get("admin"), dict) else None
    if options.get("persist_config") == "off":
        admin = admin if admin is not None else {}
        admin["config"] = {"persist": False}
    return admin


@global_option("events")
def parse_events_app(d: Dispenser, _: Any) -> Any:
    """`events { on <event|*> <handler> ... }` (Caddy's eventsconfig): the "events" app."""
    from caddy_py.httpcaddyfile.httptype import App

    d.next()
    subscriptions = []
    while d.next_block(0):
        if d.val() != "on":
            raise d.arg_err()
        if not d.next_arg():
            raise d.arg_err()
        event = "" if d.val() == "*" else d.val()
        if not d.next_arg():
            raise d.arg_err()
        name = d.val()
        handler = json_module_object(unmarshal_module(d, "events.handlers." + name), "handler", name)
        subscriptions.append({"events": [event], "handlers": [handler]})
    return App("events", {"subscriptions": subscriptions} if subscriptions else {})
