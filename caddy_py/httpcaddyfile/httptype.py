"""The HTTP server type: server blocks → Caddy's JSON config (Caddy's httpcaddyfile/httptype.go).

Config objects are plain dicts keyed by their Go JSON names. Servers, connection policies,
logs and the top-level config are put into Go's struct field order by `ordered` at the end, so
other parts of the adapter (server options, TLS app) may set fields in any order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.token import Token
from caddy_py.gojson import sorted_deep
from caddy_py.httpcaddyfile import addresses as addrs
from caddy_py.httpcaddyfile.addresses import (
    DEFAULT_HTTP_PORT,
    DEFAULT_HTTPS_PORT,
    BlockView,
    SbAddrAssociation,
    ServerBlockPile,
)
from caddy_py.httpcaddyfile.directives import (
    MATCHER_PREFIX,
    NAMED_ROUTE_KEY,
    CaddyWarning,
    Counter,
    Helper,
    base_directive_order,
    build_subroute,
    normalize_directive_name,
    parse_segment_as_subroute,
    set_directive_order,
)
from caddy_py.httpcaddyfile.gosort import slice_stable
from caddy_py.httpcaddyfile.matchers import parse_matcher_definitions
from caddy_py.httpcaddyfile.registry import DIRECTIVES, GLOBAL_OPTIONS, ConfigValue
from caddy_py.httpcaddyfile.routes import Route, Subroute, consolidate_routes, json_module_object
from caddy_py.httpcaddyfile.shorthands import ShorthandReplacer
from caddy_py.httpcaddyfile.connpolicies import (
    CONN_POLICY_FIELDS,
    consolidate_conn_policies,
    detect_conflicting_schemes,
    hoist_client_auth_shields,
    port_option,
    settings_empty,
)
from caddy_py.httpcaddyfile.customlogs import add_log_associations, build_logging, collect_custom_logs
from caddy_py.httpcaddyfile.zaplog import zap_warn

SERVER_FIELDS = (
    "listen", "listener_wrappers", "packet_conn_wrappers", "read_timeout", "read_header_timeout",
    "read_idle_timeout", "read_min_rate", "write_timeout", "write_idle_timeout", "write_min_rate",
    "max_write_chunk", "idle_timeout", "keepalive_interval", "keepalive_idle", "keepalive_count",
    "max_header_bytes", "enable_full_duplex", "expected_underscore_headers", "expected_dot_headers",
    "routes", "errors", "named_routes", "tls_connection_policies", "automatic_https",
    "strict_sni_host", "trusted_proxies", "client_ip_headers", "trusted_proxies_strict",
    "trusted_proxies_unix", "logs", "protocols", "listen_protocols", "allow_0rtt", "metrics",
)
AUTO_HTTPS_FIELDS = ("disable", "disable_redirects", "disable_certificates", "skip", "skip_certificates",
                     "ignore_loaded_certificates")
SERVER_LOG_FIELDS = ("default_logger_name", "logger_names", "skip_hosts", "skip_unmapped_hosts",
                     "should_log_credentials", "trace")
ADMIN_FIELDS = ("disabled", "listen", "enforce_origin", "origins", "config", "identity", "remote")
CONFIG_FIELDS = ("admin", "logging", "storage", "apps")


def ordered(obj: dict, fields: tuple[str, ...]) -> dict:
    """obj with the known fields first in Go's struct order, then any others as they came."""
    out = {k: obj[k] for k in fields if k in obj}
    for k, v in obj.items():
        if k not in out:
            out[k] = v
    return out


@dataclass
class App:
    """A non-standard app configured by a global option (Caddy's httpcaddyfile.App)."""

    name: str
    value: Any


def _server_json(srv: dict) -> dict:
    out = ordered(srv, SERVER_FIELDS)
    if "tls_connection_policies" in out:
        out["tls_connection_policies"] = [ordered(cp, CONN_POLICY_FIELDS) for cp in out["tls_connection_policies"]]
    return out


def _tok_err(tkn: Token, msg: str) -> CaddyfileError:
    return CaddyfileError(f"{tkn.file}:{tkn.line}: {msg}")


def _block_view(sb: Any) -> BlockView:
    return BlockView(list(sb.keys), [list(s) for s in sb.segments], bool(getattr(sb, "is_named_route", False)),
                     bool(getattr(sb, "has_braces", True)))


def setup(input_blocks: list[Any], options: dict[str, Any],
          logs: list[Any] | None = None) -> tuple[dict, list[CaddyWarning]]:
    """ServerType.Setup: the whole JSON config (as an ordered dict) plus warnings; what Caddy
    logs through zap meanwhile (zaplog.zap_warn, from any parser) goes to `logs`."""
    from caddy_py.httpcaddyfile.zaplog import collecting

    with collecting(logs if logs is not None else []):
        return _setup(input_blocks, options)


def _setup(input_blocks: list[Any], options: dict[str, Any]) -> tuple[dict, list[CaddyWarning]]:
    warnings: list[CaddyWarning] = []
    gc = Counter()
    state: dict[str, Any] = {}
    set_directive_order(base_directive_order())

    blocks: list[ServerBlockPile] = []
    for sb in input_blocks:
        for j, k in enumerate(sb.keys):
            if j == 0 and k.text.startswith("@"):
                raise _tok_err(k, f"cannot define a matcher outside of a site block: '{k.text}'")
            if k.text in DIRECTIVES:
                raise _tok_err(k, f"parsed '{k.text}' as a site address, but it is a known directive; "
                                  "directives must appear in a site block")
        blocks.append(ServerBlockPile(_block_view(sb), {}))

    blocks = evaluate_global_options_block(blocks, options)
    replacer = ShorthandReplacer()
    blocks = extract_named_routes(blocks, options, warnings, replacer)

    for sb in blocks:
        for seg in sb.block.segments:
            replacer.apply_to_segment(seg)
        if not sb.block.keys:
            raise CaddyfileError("server block without any key is global configuration, and if used, it must be first")
        matcher_defs: dict[str, dict] = {}
        for seg in sb.block.segments:
            if seg and seg[0].text.startswith(MATCHER_PREFIX):
                parse_matcher_definitions(Dispenser(seg), matcher_defs)
        for seg in sb.block.segments:
            d = seg[0].text if seg else ""
            if d.startswith(MATCHER_PREFIX):
                continue
            fn = DIRECTIVES.get(d)
            if fn is None:
                msg = f"unrecognized directive: {d}"
                if not sb.block.has_braces:
                    msg += ("\nDid you mean to define a second site? If so, you must use curly braces "
                            "around each site to separate their configurations.")
                raise _tok_err(seg[0], msg)
            h = Helper(seg, options=options, warnings=warnings, matcher_defs=matcher_defs,
                       parent_block=sb.block, group_counter=gc, state=state, block_state=state)
            try:
                results = fn(h)
            except CaddyfileError as e:
                raise CaddyfileError(f"parsing caddyfile tokens for '{d}': {e}") from None
            d = normalize_directive_name(d)
            for r in results:
                r.directive = d
                sb.pile.setdefault(r.cls, []).append(r)
            if state.get(NAMED_ROUTE_KEY):
                for name in state[NAMED_ROUTE_KEY]:
                    sb.pile.setdefault(NAMED_ROUTE_KEY, []).append(ConfigValue(NAMED_ROUTE_KEY, name))
                state[NAMED_ROUTE_KEY] = None

    sbmap = addrs.map_address_to_protocol_to_server_blocks(blocks, options)
    pairings = addrs.consolidate_addr_mappings(sbmap)
    servers = servers_from_pairings(pairings, options, warnings, gc)

    metrics = options.get("metrics")
    for srv in servers.values():
        sm = srv.pop("metrics", None)
        if sm is not None:
            per_host = bool((metrics or {}).get("per_host")) or bool(sm.get("per_host"))
            metrics = {"per_host": True} if per_host else {}

    http_app: dict[str, Any] = {}
    for opt in ("http_port", "https_port", "grace_period", "shutdown_delay"):
        v = options.get(opt)
        if v:
            http_app[opt] = v
    if servers:
        http_app["servers"] = {k: _server_json(servers[k]) for k in sorted(servers)}
    if metrics is not None:
        http_app["metrics"] = metrics

    from caddy_py.httpcaddyfile.pkiapp import build_pki_app
    from caddy_py.httpcaddyfile.tlsapp import build_tls_app

    tls_app, warnings = build_tls_app(pairings, options, warnings)
    pki_app, warnings = build_pki_app(pairings, options, warnings)

    custom_logs = collect_custom_logs(pairings, options)

    cfg: dict[str, Any] = {}
    apps: dict[str, Any] = {}
    for opt in options.values():
        if isinstance(opt, App):
            apps[opt.name] = opt.value
    if servers:
        apps["http"] = http_app
    if tls_app:
        apps["tls"] = tls_app
    if pki_app:
        apps["pki"] = pki_app
    fs = options.get("filesystem")
    if fs is not None:
        apps["caddy.filesystems"] = fs.to_json() if hasattr(fs, "to_json") else fs
    storage = options.get("storage")
    if isinstance(storage, dict) and storage:
        cfg["storage"] = sorted_deep(storage)
    from caddy_py.httpcaddyfile.options import build_admin

    admin = build_admin(options)
    if admin is not None:
        cfg["admin"] = ordered(admin, ADMIN_FIELDS)
    logging_cfg = build_logging(custom_logs)
    if logging_cfg:
        cfg["logging"] = logging_cfg
    if apps:
        cfg["apps"] = {k: apps[k] for k in sorted(apps)}
    return ordered(cfg, CONFIG_FIELDS), warnings


def evaluate_global_options_block(blocks: list[ServerBlockPile], options: dict[str, Any]) -> list[ServerBlockPile]:
    """Parse the global options block (the first block, when it has no keys) into `options`."""
    from caddy_py.httpcaddyfile.options import finish_global_options, fold_global_option

    if not blocks or blocks[0].block.keys:
        return blocks
    for seg in blocks[0].block.segments:
        opt = seg[0].text if seg else ""
        fn = GLOBAL_OPTIONS.get(opt)
        if fn is None:
            raise _tok_err(seg[0], f"unrecognized global option: {opt}")
        try:
            val = fn(Dispenser(seg), options.get(opt))
        except CaddyfileError as e:
            raise CaddyfileError(f"parsing caddyfile tokens for '{opt}': {e}") from None
        fold_global_option(options, opt, val)
    finish_global_options(options)
    return blocks[1:]


def extract_named_routes(blocks: list[ServerBlockPile], options: dict[str, Any], warnings: list[CaddyWarning],
                         replacer: ShorthandReplacer) -> list[ServerBlockPile]:
    named_routes: dict[str, Route] = {}
    invokes: dict[str, list[str]] = {}
    gc = Counter()
    state: dict[str, Any] = {}
    filtered = []
    for sb in blocks:
        if not sb.block.is_named_route:
            filtered.append(sb)
            continue
        if not sb.block.segments:
            continue
        whole: list[Token] = []
        for seg in sb.block.segments:
            replacer.apply_to_segment(seg)
            whole.extend(seg)
        h = Helper(whole, options=options, warnings=warnings, matcher_defs=None, parent_block=sb.block,
                   group_counter=gc, state=state, block_state=state)
        sub = parse_segment_as_subroute(h)
        if len(sub.routes) == 1 and not sub.routes[0].matcher_sets:
            route = Route(handlers=[sub.routes[0].handlers[0]])
        else:
            route = Route(handlers=[sub.as_handler()])
        key = sb.block.get_keys_text()[0]
        if key in named_routes:
            raise CaddyfileError(f"cannot have duplicate named_routes: {key}")
        named_routes[key] = route
        if state.get(NAMED_ROUTE_KEY):
            invokes.setdefault(key, []).extend(state[NAMED_ROUTE_KEY])
            state[NAMED_ROUTE_KEY] = None
    options["named_routes"] = named_routes
    options["named_route_invokes"] = invokes
    return filtered


def specificity(s: str) -> int:
    if "{" not in s and s.isascii():
        return len(s) - s.count("*")
    n = len(s.encode()) - s.count("*")
    while s:
        start = s.find("{")
        if start < 0:
            return n
        end = s.find("}", start) + 1
        if end <= start:
            return n
        n -= len(s[start:end].encode())
        s = s[end:]
    return n


def _sort_site_blocks(blocks: list[ServerBlockPile]) -> None:
    """Most specific site first (Caddy sorts with sort.SliceStable). Caddy's comparator is a
    consistent ordering: catch-all hosts last, then non-wildcard before wildcard, then longer
    host, then longer path; so a stable sort by that key gives the order Go's sort gives."""
    blocks.sort(key=_site_block_rank)


def _site_block_rank(sb: ServerBlockPile) -> tuple[int, int, int, int]:
    longest_path = ""
    host_spec = path_spec = 0
    wildcard = False
    for a in sb.parsed_keys:
        if "*" in a.host or not a.host:
            wildcard = True
        spec = specificity(a.host)
        if spec > host_spec:
            host_spec = spec
        spec = specificity(a.path)
        if spec > path_spec:
            longest_path, path_spec = a.path, spec
    if host_spec == 0:
        return (1, 0, 0, 0)
    return (0, int(wildcard), -host_spec, -len(longest_path.encode()))


def listeners_use_any_port_other_than(listen: list[str], other_port: str) -> bool:
    try:
        port = int(other_port)
    except ValueError:
        return False
    for ln in listen:
        rng = addrs.parse_network_port_range(ln)
        if rng is None:
            continue
        if port > rng[1] or port < rng[0]:
            return True
    return False


def _reject_ambiguous_sites(blocks: list[ServerBlockPile]) -> None:
    """Two site blocks of one server with the same key (issue #4635); the first such key in
    block then key order is named, as Go's nested loops find it."""
    owners: dict[str, set[int]] = {}
    for j, sb in enumerate(blocks):
        for key in sb.block.get_keys_text():
            owners.setdefault(key, set()).add(j)
    for j, sb in enumerate(blocks):
        for key in sb.block.get_keys_text():
            if owners[key] - {j}:
                raise CaddyfileError(f"ambiguous site definition: {key}")


def _auto_https_config(auto_https: list[str]) -> dict[str, Any] | None:
    """The server's automatic_https from the `auto_https` global option (None: not set)."""
    fields = {"off": "disable", "disable_redirects": "disable_redirects", "disable_certs": "disable_certificates",
              "ignore_loaded_certs": "ignore_loaded_certificates"}
    ah: dict[str, Any] | None = None
    for val in auto_https:
        if val in fields:
            ah = ah if ah is not None else {}
            ah[fields[val]] = True
    return ah


def _attach_named_routes(srv: dict, blocks: list[ServerBlockPile], options: dict[str, Any]) -> None:
    """Every named route the server's sites invoke, and those they invoke in turn."""
    configured = options.get("named_routes") or {}
    invokes = options.get("named_route_invokes") or {}
    for sb in blocks:
        for value in sb.pile.get(NAMED_ROUTE_KEY, []):
            nr = srv.setdefault("named_routes", {})
            names = [value.value]
            while names:
                name = names.pop(0)
                if name in nr:
                    continue
                if name not in configured:
                    raise CaddyfileError(f"cannot invoke named route '{name}', which was not defined")
                nr[name] = configured[name]
                names.extend(invokes.get(name, []))


def _place_site_policies(cp_vals: list[ConfigValue], hosts: list[str], force_automated: set[str],
                         default_sni: str, fallback_sni: str, policies: list[dict],
                         empty_policies: list[dict]) -> bool | None:
    """Give a site's TLS connection policies its hostnames (and default/fallback SNI); keep
    those that change something. Returns the new "has a catch-all policy" value, or None.

    Each policy is one mutable dict per ConfigValue, shared by every server its site block
    lands in and printed only at the end, because Go mutates the same pointer."""
    catch_all = None
    for cv in cp_vals:
        if not isinstance(cv.value, dict):
            cv.value = cv.value.to_json()
        cp = cv.value
        for h in list(hosts):
            if h == default_sni:
                hosts.append("")
                cp["default_sni"] = default_sni
                break
            if h == fallback_sni:
                hosts.append("")
                cp["fallback_sni"] = fallback_sni
                break
        if hosts:
            hosts.sort()
            cp["match"] = {"sni": list(hosts)}
        else:
            if default_sni:
                cp["default_sni"] = default_sni
            if fallback_sni:
                cp["fallback_sni"] = fallback_sni
        if not settings_empty(cp) or (force_automated and any(h in force_automated for h in hosts)):
            policies.append(cp)
            catch_all = len(hosts) == 0
        elif hosts:
            empty_policies.append(cp)
    return catch_all


def _errors_subroute(err_vals: list[ConfigValue]) -> Subroute:
    """A site's handle_errors subroutes as one, those with matchers first (Go's inconsistent
    comparator, so the same stable sort)."""
    def less(a: ConfigValue, b: ConfigValue) -> bool:
        return not (not a.value.routes[0].matcher_sets and b.value.routes[0].matcher_sets)

    slice_stable(err_vals, less)
    errs = Subroute()
    for v in err_vals:
        errs.routes.extend(v.value.routes)
    return errs


def servers_from_pairings(pairings: list[SbAddrAssociation], options: dict[str, Any],
                          warnings: list[CaddyWarning], gc: Counter) -> dict[str, dict]:
    servers: dict[str, dict] = {}
    default_sni = options.get("default_sni") if isinstance(options.get("default_sni"), str) else ""
    fallback_sni = options.get("fallback_sni") if isinstance(options.get("fallback_sni"), str) else ""
    http_port = port_option(options, "http_port", DEFAULT_HTTP_PORT)
    https_port = port_option(options, "https_port", DEFAULT_HTTPS_PORT)
    auto_https = options.get("auto_https") if isinstance(options.get("auto_https"), list) else []

    for i, p in enumerate(pairings):
        _reject_ambiguous_sites(p.server_blocks)

        srv: dict[str, Any] = {}
        listen = [a for a, _ in p.addresses_with_protocols]
        if listen:
            srv["listen"] = listen
        protocols = [[x for x in prots] if any(x != "" for x in prots) else None
                     for _, prots in p.addresses_with_protocols]
        if any(x is not None for x in protocols):
            srv["listen_protocols"] = protocols

        ah = _auto_https_config(auto_https)

        for sb in p.server_blocks:
            for a in sb.parsed_keys:
                if a.path:
                    zap_warn("Using a path in a site address is deprecated; please use the 'handle' "
                             "directive instead", "caddyfile", address=str(a))
        _sort_site_blocks(p.server_blocks)

        has_catch_all_policy = address_qualifies_for_tls = False
        empty_policies: list[dict] = []
        policies: list[dict] = []
        auto_https_will_add = ah is None or not ah.get("disable")

        if any(sb.pile.get("custom_log") for sb in p.server_blocks):
            srv["logs"] = {}

        _attach_named_routes(srv, p.server_blocks, options)

        routes: list[Route] = []
        error_routes: list[Route] | None = None
        other_port_listener = listeners_use_any_port_other_than(srv.get("listen", []), http_port)
        for sb in p.server_blocks:
            matcher_sets = compile_encoded_matcher_sets(sb)
            hosts = sb.hosts_from_keys(False)
            for h in hosts:
                if h in ("0.0.0.0", "::"):
                    zap_warn("Site block has an unspecified IP address which only matches requests "
                             "having that Host header; you probably want the 'bind' directive to "
                             "configure the socket", "caddyfile", address=h)
            force_automated = set(hosts) if "tls.force_automate" in sb.pile else set()

            cp_vals = sb.pile.get("tls.connection_policy")
            if cp_vals:
                catch_all = _place_site_policies(cp_vals, hosts, force_automated, default_sni, fallback_sni,
                                                 policies, empty_policies)
                if catch_all is not None:
                    has_catch_all_policy = catch_all
            else:
                specific = sorted(h for h in hosts if h and "*" not in h)
                if specific:
                    empty_policies.append({"match": {"sni": specific}})

            for addr in sb.parsed_keys:
                if other_port_listener:
                    if addr.scheme == "http" and addr.host:
                        ah = ah if ah is not None else {}
                        skip = ah.setdefault("skip", [])
                        if addr.host not in skip:
                            skip.append(addr.host)
                has_tls = bool(cp_vals) or (bool(addr.host) and (ah is None or addr.host not in ah.get("skip", [])))
                if addr.scheme == "https" or (addr.scheme != "http" and addr.port != http_port and has_tls):
                    address_qualifies_for_tls = True
                auto_https_will_add = auto_https_will_add and (
                    addr.port == https_port or (addr.port != http_port and bool(addr.host)))

            for cv in sb.pile.get("listener_wrapper", []):
                srv.setdefault("listener_wrappers", []).append(sorted_deep(cv.value))
            for cv in sb.pile.get("packet_conn_wrapper", []):
                srv.setdefault("packet_conn_wrappers", []).append(sorted_deep(cv.value))

            site_sub = build_subroute(sb.pile.get("route", []), gc, True)
            routes = append_subroute_to_route_list(routes, site_sub, matcher_sets, p)

            err_vals = sb.pile.get("error_route")
            if err_vals:
                error_routes = append_subroute_to_route_list(error_routes or [], _errors_subroute(err_vals),
                                                             matcher_sets, p)

            add_log_associations(srv, sb, hosts)

        if routes:
            srv["routes"] = consolidate_routes(routes)
        if "named_routes" in srv:
            srv["named_routes"] = {k: srv["named_routes"][k] for k in sorted(srv["named_routes"])}
        if error_routes is not None:
            srv["errors"] = {"routes": error_routes} if error_routes else {}
        if "logs" in srv and srv["logs"].get("skip_hosts"):
            srv["logs"]["skip_hosts"].sort()

        detect_conflicting_schemes(srv, policies, p.server_blocks, options)

        policies = hoist_client_auth_shields(policies, empty_policies)

        if address_qualifies_for_tls and not has_catch_all_policy and (
                policies or not auto_https_will_add or default_sni or fallback_sni):
            cp: dict[str, Any] = {}
            if default_sni:
                cp["default_sni"] = default_sni
            if fallback_sni:
                cp["fallback_sni"] = fallback_sni
            policies.append(cp)

        policies = consolidate_conn_policies(policies)
        if policies:
            srv["tls_connection_policies"] = policies  # put in field order when printed
        if ah is not None:
            srv["automatic_https"] = ordered(ah, AUTO_HTTPS_FIELDS)
        if "logs" in srv:  # omitempty: a catch-all site's unnamed access log sets ""
            srv["logs"] = ordered({k: v for k, v in srv["logs"].items() if v != ""}, SERVER_LOG_FIELDS)
        servers[f"srv{i}"] = srv

    from caddy_py.httpcaddyfile.serveroptions import apply_server_options

    try:
        renamed = apply_server_options(servers, options, warnings)
    except CaddyfileError as e:
        raise CaddyfileError(f"applying global server options: {e}") from None
    return renamed if renamed is not None else servers


def append_subroute_to_route_list(route_list: list[Route], sub: Subroute, matcher_sets: list[dict],
                                  p: SbAddrAssociation) -> list[Route]:
    """route_list (extended in place: a copy per site made this quadratic) with the site's routes."""
    if not matcher_sets and not sub.routes and sub.errors is None:
        return route_list
    wrap = True
    if not matcher_sets and len(p.server_blocks) == 1:
        wrap = any("host" in ms for r in sub.routes for ms in r.matcher_sets)
    if wrap:
        route = Route(terminal=True)
        if matcher_sets:
            route.matcher_sets = matcher_sets
        if sub.routes or sub.errors is not None:
            route.handlers = [json_module_object(sub, "handler", "subroute")]
        if route.matcher_sets or route.handlers:
            route_list.append(route)
    else:
        route_list.extend(sub.routes)
    return route_list


def compile_encoded_matcher_sets(sb: ServerBlockPile) -> list[dict]:
    pairs: list[dict[str, list[str]]] = []  # {"host": [...], "path": [...]}
    catch_all = False
    for addr in sb.parsed_keys:
        chosen = None
        for mp in pairs:
            if (not mp["path"] and not addr.path) or (len(mp["path"]) == 1 and mp["path"][0] == addr.path):
                chosen = mp
                break
        if chosen is None:
            chosen = {"host": [], "path": [addr.path] if addr.path else []}
            pairs.append(chosen)
        if not addr.host and not catch_all:
            chosen["host"] = []
            catch_all = True
        if catch_all:
            continue
        if addr.host and addr.host not in chosen["host"]:
            chosen["host"].append(addr.host)
    out = []
    for mp in pairs:
        ms: dict[str, Any] = {}
        if mp["host"]:
            ms["host"] = mp["host"]
        if mp["path"]:
            ms["path"] = mp["path"]
        if ms:
            out.append(ms)
    return out


