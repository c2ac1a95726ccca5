"""Unit tests of the adapter core pieces that do not need the directive parsers."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from caddy_py import gojson
from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.token import Token
from caddy_py.httpcaddyfile.addresses import network_address_string, parse_address, split_host_port, AddrError
from caddy_py.httpcaddyfile.directives import Counter, sort_routes, build_subroute
from caddy_py.httpcaddyfile.gosort import slice_stable
from caddy_py.httpcaddyfile.matchers import canonical_header_key, parse_matcher_definitions
from caddy_py.httpcaddyfile.registry import ConfigValue
from caddy_py.httpcaddyfile.routes import Route, consolidate_routes
from caddy_py.httpcaddyfile.shorthands import ShorthandReplacer


def test_gojson_escapes_like_go() -> None:
    s = gojson.dumps({"a": "<&>\u2028\u2029\x01\b\f\n\"\\é"})
    assert s == '{"a":"\\u003c\\u0026\\u003e\\u2028\\u2029\\u0001\\b\\f\\n\\"\\\\é"}'


@pytest.mark.parametrize("f,text", [(1.0, "1"), (2.5, "2.5"), (1e21, "1e+21"), (1e20, "100000000000000000000"),
                                    (1e-7, "1e-7"), (0.000001, "0.000001"), (-0.5, "-0.5"), (1.5e300, "1.5e+300")])
def test_gojson_floats(f: float, text: str) -> None:
    assert gojson.format_float(f) == text


def test_gojson_pretty_keeps_empty_containers_closed() -> None:
    assert gojson.dumps({"a": [], "b": {}, "c": [1]}, pretty=True) == '{\n\t"a": [],\n\t"b": {},\n\t"c": [\n\t\t1\n\t]\n}'


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda c: st.lists(c) | st.dictionaries(st.text(), c), max_leaves=20))
def test_gojson_is_valid_json(obj) -> None:
    assert json.loads(gojson.dumps(obj)) == obj
    assert json.loads(gojson.dumps(obj, pretty=True)) == obj


def test_sorted_deep_sorts_every_level() -> None:
    assert list(gojson.sorted_deep({"b": {"z": 1, "a": [{"y": 1, "x": 2}]}, "a": 1})) == ["a", "b"]
    assert list(gojson.sorted_deep({"b": {"z": 1, "a": [{"y": 1, "x": 2}]}})["b"]["a"][0]) == ["x", "y"]


@given(st.lists(st.integers(0, 5), max_size=120))
def test_slice_stable_is_a_stable_sort_for_consistent_comparators(xs: list[int]) -> None:
    items = [(v, i) for i, v in enumerate(xs)]
    slice_stable(items, lambda a, b: a[0] < b[0])
    assert items == sorted(items)


def test_slice_stable_always_true_comparator_reverses_like_go() -> None:
    # Go's insertion sort with less() always true reverses each block of 20; then SymMerge
    # of two reversed blocks: verified against Caddy for `vars` (25 routes come out reversed).
    items = list(range(3))
    slice_stable(items, lambda a, b: True)
    assert items == [2, 1, 0]


@pytest.mark.parametrize("key,scheme,host,port,path", [
    ("example.com", "", "example.com", "", ""),
    ("https://example.com:8443/foo", "https", "example.com", "8443", "/foo"),
    (":8080", "", "", "8080", ""),
    ("[::1]:9000", "", "::1", "9000", ""),
    ("http://", "http", "", "", ""),
    ("*.example.com", "", "*.example.com", "", ""),
])
def test_parse_address(key: str, scheme: str, host: str, port: str, path: str) -> None:
    a = parse_address(key)
    assert (a.scheme, a.host, a.port, a.path) == (scheme, host, port, path)


def test_parse_address_bad_port() -> None:
    with pytest.raises(CaddyfileError, match="invalid port 'x'"):
        parse_address("a.com:x")
    with pytest.raises(CaddyfileError, match="port 99999 is out of range"):
        parse_address("a.com:99999")


def test_split_host_port_errors_match_go() -> None:
    with pytest.raises(AddrError, match="address a:b:c: too many colons in address"):
        split_host_port("a:b:c")
    assert split_host_port("[::1]:80") == ("::1", "80")


@pytest.mark.parametrize("addr,key", [("127.0.0.1:443", "127.0.0.1:443"), (":80", ":80"),
                                      ("tcp/[::1]:8080", "[::1]:8080"), ("unix//run/x.sock", "unix//run/x.sock"),
                                      ("udp/:53", "udp/:53")])
def test_network_address_string(addr: str, key: str) -> None:
    assert network_address_string(addr) == key


def test_canonical_header_key() -> None:
    assert canonical_header_key("x-foo-BAR") == "X-Foo-Bar"
    assert canonical_header_key("bad key") == "bad key"


def _toks(*lines: str) -> list[Token]:
    return [Token(w, "Caddyfile", n + 1) for n, line in enumerate(lines) for w in line.split()]


def test_matcher_definition_concatenates_repeated_types() -> None:
    defs: dict = {}
    toks = _toks("@m {", "path /a", "path /b", "method GET", "}")
    parse_matcher_definitions(Dispenser(toks), defs)
    assert defs["@m"] == {"path": ["/a", "/b"], "method": ["GET"]}


def test_matcher_defined_twice() -> None:
    defs: dict = {}
    parse_matcher_definitions(Dispenser(_toks("@m path /a")), defs)
    with pytest.raises(CaddyfileError, match="matcher is defined more than once: @m"):
        parse_matcher_definitions(Dispenser(_toks("@m path /b")), defs)


def test_quoted_first_arg_is_an_expression() -> None:
    defs: dict = {}
    toks = [Token("@e", "F", 1), Token('{path} == "/y"', "F", 1, quote="`")]
    parse_matcher_definitions(Dispenser(toks), defs)
    assert defs["@e"] == {"expression": {"expr": '{path} == "/y"', "name": "e"}}


def _route(directive: str, path: str | None = None) -> ConfigValue:
    ms = [{"path": [path]}] if path else []
    return ConfigValue("route", Route(matcher_sets=ms, handlers=[{"handler": directive}]), directive)


def test_sort_routes_by_directive_then_path_specificity() -> None:
    routes = [_route("respond"), _route("respond", "/a*"), _route("respond", "/abc"), _route("header")]
    sort_routes(routes, ["header", "respond"])
    assert [(r.directive, (r.value.matcher_sets or [{}])[0].get("path")) for r in routes] == [
        ("header", None), ("respond", ["/abc"]), ("respond", ["/a*"]), ("respond", None)]


def test_build_subroute_groups_rewrite_always_and_handle_when_many() -> None:
    gc = Counter()
    routes = [_route("handle", "/a"), _route("handle"), _route("rewrite")]
    sub = build_subroute(routes, gc, True, ["rewrite", "handle"])
    assert [r.group for r in sub.routes] == ["group1", "group0", "group0"]


def test_consolidate_routes_merges_identical_neighbours() -> None:
    a = Route(matcher_sets=[{"path": ["/a"]}], handlers=[{"handler": "x"}])
    b = Route(matcher_sets=[{"path": ["/a"]}], handlers=[{"handler": "y"}])
    c = Route(handlers=[{"handler": "z"}])
    out = consolidate_routes([a, b, c])
    assert [len(r.handlers) for r in out] == [2, 1]
    assert len(a.handlers) == 1  # inputs untouched


def test_shorthands() -> None:
    r = ShorthandReplacer()
    assert r.replace("{host}{path}{header.X-Y}{re.a.1}{query}") == (
        "{http.request.host}{http.request.uri.path}{http.request.header.X-Y}{http.regexp.a.1}"
        "{http.request.uri.query}")
    assert r.replace("{hostport}") == "{http.request.hostport}"


def test_with_dispenser_shares_the_dispenser_like_go() -> None:
    from caddy_py.httpcaddyfile.directives import Helper

    h = Helper([Token("x")], options={"o": 1}, warnings=[], matcher_defs={}, parent_block=None,
               group_counter=Counter(), state={})
    d = Dispenser(_toks("a b"))
    sub = h.with_dispenser(d)
    assert sub.next() and d.val() == "a"
    assert d.next_arg() and sub.val() == "b"
    assert sub.option("o") == 1 and sub.group_counter is h.group_counter
