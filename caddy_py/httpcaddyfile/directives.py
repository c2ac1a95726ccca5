"""Directive plumbing (Caddy's httpcaddyfile/directives.go): the Helper every directive parser
receives, the directive order, route sorting and parsing a block as a subroute.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.token import Token
from caddy_py.gojson import sorted_object
from caddy_py.httpcaddyfile.gosort import slice_stable
from caddy_py.httpcaddyfile.matchers import matcher_set_from_matcher_token, parse_matcher_definitions
from caddy_py.httpcaddyfile.registry import DIRECTIVE_ORDER_EXTRA, DIRECTIVES, ConfigValue
from caddy_py.httpcaddyfile.routes import MatcherSet, Route, SortedHandler, Subroute, consolidate_routes

MATCHER_PREFIX = "@"
NAMED_ROUTE_KEY = "named_route"

DEFAULT_DIRECTIVE_ORDER: tuple[str, ...] = (
    "tracing",
    "map", "vars", "fs", "root", "log_append", "skip_log", "log_skip", "log_name",
    "header", "copy_response_headers", "request_body", "timeouts",
    "redir",
    "method", "rewrite", "uri", "try_files",
    "basicauth", "basic_auth", "forward_auth", "request_header", "encode", "push", "intercept",
    "templates",
    "invoke", "handle", "handle_path", "route",
    "abort", "error", "copy_response", "respond", "metrics", "reverse_proxy", "php_fastcgi",
    "file_server", "acme_server",
)


@dataclass
class CaddyWarning:
    """caddyconfig.Warning."""

    file: str = ""
    line: int = 0
    directive: str = ""
    message: str = ""

    def __str__(self) -> str:
        d = f" ({self.directive})" if self.directive else ""
        return f"{self.file}:{self.line}{d}: {self.message}"


class Counter:
    """The group-name counter shared by a whole config (Caddy's `counter`)."""

    def __init__(self) -> None:
        self.n = 0

    def next_group(self) -> str:
        name = f"group{self.n}"
        self.n += 1
        return name


def base_directive_order() -> list[str]:
    """The default order plus plugin directives placed by `directive_order(...)` at import."""
    order = list(DEFAULT_DIRECTIVE_ORDER)
    for name, position, standard in DIRECTIVE_ORDER_EXTRA:
        if name in order:
            continue
        i = order.index(standard)
        order.insert(i if position == "before" else i + 1, name)
    return order


class Helper(Dispenser):
    """Caddy's httpcaddyfile.Helper: a Dispenser over one directive's tokens plus the adapter
    state a directive may need. `with_dispenser` / sub-helpers share the maps by reference."""

    # one per directive use: slots spare each its own __dict__
    __slots__ = ("options", "warnings", "matcher_defs", "parent_block", "group_counter", "state", "block_state")

    def __init__(
        self,
        tokens: list[Token],
        *,
        options: dict[str, Any],
        warnings: list[CaddyWarning],
        matcher_defs: dict[str, MatcherSet] | None,
        parent_block: Any,
        group_counter: Counter,
        state: dict[str, Any],
        block_state: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(tokens)
        self.options = options
        self.warnings = warnings
        self.matcher_defs = matcher_defs if matcher_defs is not None else {}
        self.parent_block = parent_block
        self.group_counter = group_counter
        self.state = state
        self.block_state = block_state if block_state is not None else state

    # -- construction -------------------------------------------------------------------------
    def _clone(self, tokens: list[Token]) -> "Helper":
        return Helper(
            tokens,
            options=self.options,
            warnings=self.warnings,
            matcher_defs=self.matcher_defs,
            parent_block=self.parent_block,
            group_counter=self.group_counter,
            state=self.state,
            block_state=self.block_state,
        )

    def with_dispenser(self, d: Dispenser) -> "Helper":
        """A helper that reads through d itself (as Go's WithDispenser, which shares the
        Dispenser pointer): moving one moves the other. The adapter state is shared too."""
        h = object.__new__(_BoundHelper)
        h._d = d
        h.options, h.warnings, h.matcher_defs = self.options, self.warnings, self.matcher_defs
        h.parent_block, h.group_counter = self.parent_block, self.group_counter
        h.state, h.block_state = self.state, self.block_state
        return h

    # -- Caddy's Helper API -------------------------------------------------------------------
    def option(self, name: str) -> Any:
        return self.options.get(name)

    @property
    def caddyfile_state(self) -> dict[str, Any]:
        return self.state

    def caddyfiles(self) -> list[str]:
        files = {t.file for seg in getattr(self.parent_block, "segments", []) for t in seg}
        return sorted(files)

    @property
    def block_keys(self) -> list[str]:
        return [k.text for k in getattr(self.parent_block, "keys", [])]

    def warn(self, message: str) -> None:
        self.warnings.append(CaddyWarning(self.file(), self.line(), "", message))

    def json(self, val: Any) -> Any:
        return val.to_json() if hasattr(val, "to_json") else val

    def matcher_token(self) -> tuple[MatcherSet | None, bool]:
        """If the next argument is a matcher token: (its matcher set, True); `*` gives (None, True)."""
        if not self.next_arg():
            return None, False
        return matcher_set_from_matcher_token(self.token(), self.matcher_defs)

    def extract_matcher_set(self) -> MatcherSet | None:
        """The matcher set of the optional matcher token after the directive name; the token is
        removed and the dispenser reset, as if the look-ahead never happened."""
        matcher_set, has = self.matcher_token()
        if has:
            self.delete()
        self.reset()
        return matcher_set

    def new_route(self, matcher_set: MatcherSet | None, handler: Any) -> list[ConfigValue]:
        """One "route" ConfigValue holding `handler` (a handler JSON dict with its "handler"
        key, or a Subroute), behind the matcher set if there is one."""
        if isinstance(handler, Subroute):
            obj = handler.as_handler()
        else:
            obj = handler.to_json() if hasattr(handler, "to_json") else handler
            if not obj.get("handler"):
                raise CaddyfileError("handler object without a 'handler' name")
            # json_module_object(obj, "handler", obj["handler"]) without its copy to add the name
            obj = sorted_object(obj, SortedHandler)
        route = Route(matcher_sets=[matcher_set] if matcher_set is not None else [], handlers=[obj])
        return [ConfigValue("route", route)]

    def group_routes(self, vals: list[ConfigValue]) -> None:
        """Put every Route in vals into one new group, when there are at least two."""
        if sum(1 for v in vals if isinstance(v.value, Route)) < 2:
            return
        name = self.group_counter.next_group()
        for v in vals:
            if isinstance(v.value, Route):
                r = v.value.copy()
                r.group = name
                v.value = r

    def new_bind_addresses(self, addrs: list[str]) -> list[ConfigValue]:
        from caddy_py.httpcaddyfile.addresses import AddressesWithProtocols

        return [ConfigValue("bind", AddressesWithProtocols(list(addrs), []))]

    def parse_segment_as_subroute(self) -> Subroute:
        return parse_segment_as_subroute(self)

    def parse_segment_as_config(self) -> list[ConfigValue]:
        return parse_segment_as_config(self)


def _shared(name: str) -> property:
    return property(lambda self: getattr(self._d, name), lambda self, v: setattr(self._d, name, v))


class _BoundHelper(Helper):
    """A Helper whose dispenser state lives in another Dispenser (see Helper.with_dispenser)."""

    tokens = _shared("tokens")
    cursor = _shared("cursor")
    nesting = _shared("nesting")
    context = _shared("context")


def parse_segment_as_subroute(h: Helper) -> Subroute:
    """The block's sub-directives are directives: parse them, sort them, make a subroute."""
    results = parse_segment_as_config(h)
    return build_subroute(results, h.group_counter, True)


def parse_segment_as_config(h: Helper) -> list[ConfigValue]:
    """Parse the block after the current directive as directives (named matchers included)."""
    all_results: list[ConfigValue] = []
    while h.next():
        if h.next_arg():
            raise h.arg_err()
        segments: list[list[Token]] = []
        nesting = h.nesting
        while h.next_block(nesting):
            segments.append(h.next_segment())

        matcher_defs = dict(h.matcher_defs)
        rest = []
        for seg in segments:
            if seg and seg[0].text.startswith(MATCHER_PREFIX):
                parse_matcher_definitions(Dispenser(seg), matcher_defs)
            else:
                rest.append(seg)

        sub_block_state = dict(h.block_state)
        for seg in rest:
            d = seg[0].text if seg else ""
            fn = DIRECTIVES.get(d)
            if fn is None:
                raise h.err(
                    f"unrecognized directive: {d} - are you sure your Caddyfile structure "
                    "(nesting and braces) is correct?"
                )
            sub = h._clone(seg)
            sub.matcher_defs = matcher_defs
            sub.block_state = sub_block_state
            try:
                results = fn(sub)
            except CaddyfileError as e:
                raise h.err(f"parsing caddyfile tokens for '{d}': {e}") from None
            d = normalize_directive_name(d)
            for r in results:
                r.directive = d
                all_results.append(r)
    return all_results


def normalize_directive_name(d: str) -> str:
    return "handle" if d == "handle_path" else d


def build_subroute(routes: list[ConfigValue], group_counter: Counter, needs_sorting: bool,
                   order: list[str] | None = None) -> Subroute:
    """Turn "route" config values into one orderly subroute (Caddy's buildSubroute)."""
    order = order if order is not None else current_directive_order()
    if needs_sorting:
        positions = _positions(order)
        for v in routes:
            if v.directive not in positions:
                raise CaddyfileError(
                    f"directive '{v.directive}' is not an ordered HTTP handler, so it cannot be used "
                    "here - try placing within a route block or using the order global option"
                )
        sort_routes(routes, order)

    counts: dict[str, int] = {}
    for r in routes:
        counts[r.directive] = counts.get(r.directive, 0) + 1
    group_names: dict[str, str] = {}
    for me_dir in ("handle", "rewrite", "root"):  # sorted names of the mutually exclusive ones
        if counts.get(me_dir, 0) > 1 or me_dir == "rewrite":
            group_names[me_dir] = group_counter.next_group()
        else:
            group_names[me_dir] = ""

    sub = Subroute()
    for r in routes:
        value = r.value
        if r.directive in group_names and isinstance(value, Route):
            value = value.copy()
            value.group = group_names[r.directive]
        if isinstance(value, Subroute):
            if value.errors is not None:
                raise CaddyfileError("found subroute with more than just routes; perhaps it should have been wrapped in a route?")
            sub.routes.extend(value.routes)
        elif isinstance(value, Route):
            sub.routes.append(value)
    sub.routes = consolidate_routes(sub.routes)
    return sub


# The directive order in force for the config being adapted (the `order` global option edits a
# copy of it); set by the adapter at the start of Setup.
_current_order: list[str] | None = None


def current_directive_order() -> list[str]:
    return _current_order if _current_order is not None else base_directive_order()


def set_directive_order(order: list[str] | None) -> None:
    global _current_order
    _current_order = order


def _single_path(route: Route) -> list[str]:
    if len(route.matcher_sets) == 1:
        pm = route.matcher_sets[0].get("path")
        if isinstance(pm, list):
            return pm
    return []


_positions_cache: tuple[list[str], int, dict[str, int]] | None = None


def _positions(order: list[str]) -> dict[str, int]:
    """{directive: index in order}, kept while the same order list is in force (every site
    asks; the `order` option edits by inserting, which changes the length)."""
    global _positions_cache
    hit = _positions_cache
    if hit is None or hit[0] is not order or hit[1] != len(order):
        hit = _positions_cache = (order, len(order), {d: i for i, d in enumerate(order)})
    return hit[2]


def sort_routes(routes: list[ConfigValue], order: list[str]) -> None:
    """Sort in place by directive order, then by path specificity (Caddy's sortRoutes)."""
    positions = _positions(order)
    if len({r.directive for r in routes}) == len(routes):
        # one route per directive: the comparator is only "earlier in the order", a consistent
        # ordering, so any stable sort by position gives Go's result
        routes.sort(key=lambda r: positions.get(r.directive, 0))
        return

    def less(ri: ConfigValue, rj: ConfigValue) -> bool:
        i_dir, j_dir = ri.directive, rj.directive
        if i_dir != j_dir:
            return positions.get(i_dir, 0) < positions.get(j_dir, 0)
        i_route, j_route = ri.value, rj.value
        if not isinstance(i_route, Route) or not isinstance(j_route, Route):
            return False
        i_pm, j_pm = _single_path(i_route), _single_path(j_route)
        i_len = len(i_pm[0].encode()) if len(i_pm) == 1 else 0
        j_len = len(j_pm[0].encode()) if len(j_pm) == 1 else 0
        if i_len > 0 and j_len > 0:
            i_trim = i_pm[0][:-1] if i_pm[0].endswith("*") else i_pm[0]
            j_trim = j_pm[0][:-1] if j_pm[0].endswith("*") else j_pm[0]
            if i_trim == j_trim:
                by_path = i_len < j_len
            else:
                i_len, j_len = len(i_trim.encode()), len(j_trim.encode())
                by_path = i_trim.encode() < j_trim.encode() if i_len == j_len else i_len > j_len
        else:
            by_path = bool(i_route.matcher_sets) and not j_route.matcher_sets
        if i_dir == "vars":
            return not by_path
        return by_path

    slice_stable(routes, less)
