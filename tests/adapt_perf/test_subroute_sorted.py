"""Subroute.as_handler builds the sorted handler from its routes' parts instead of a JSON round
trip over the whole subroute: it must print exactly what that round trip (Caddy's
JSONModuleObject over a map) gives."""
from __future__ import annotations

from caddy_py import gojson
from caddy_py.httpcaddyfile.routes import Route, SortedHandler, Subroute, json_module_object


def round_trip(sub: Subroute) -> dict:
    obj = dict(sub.to_json())
    obj["handler"] = "subroute"
    return gojson.sorted_deep(obj)


def routes() -> list[Route]:
    proxy = json_module_object({"upstreams": [{"dial": "a:1"}], "headers": {"request": {"set": {"B": ["1"], "A": ["2"]}}}},
                               "handler", "reverse_proxy")
    raw = {"handler": "vars", "z": 1, "a": {"y": [{"b": 1, "a": 2}], "x": (1 << 60) + 1}}  # not pre-sorted
    inner = Subroute(routes=[Route(handlers=[proxy], terminal=True)])
    return [
        Route(matcher_sets=[{"path": ["/a", "/b"], "host": ["x.example"]},
                            {"header": {"X-B": ["1"], "X-A": ["2"]}, "vars": {"n": 1 << 60}}],
              handlers=[proxy, raw], group="g1"),
        Route(handlers=[json_module_object(inner, "handler", "subroute")], terminal=True),
        Route(matcher_sets=[{"file": {"try_files": ["{path}"], "root": "/srv"}}]),
    ]


def test_as_handler_is_the_round_trip() -> None:
    for sub in (Subroute(routes=routes()), Subroute(routes=routes(), errors=[]),
                Subroute(routes=routes(), errors=routes()[:2]), Subroute(), Subroute(errors=[])):
        fast = sub.as_handler()
        assert type(fast) is SortedHandler
        for pretty in (False, True):
            assert gojson.dumps(fast, pretty) == gojson.dumps(round_trip(sub), pretty)


def test_json_module_object_of_a_subroute_takes_the_shortcut() -> None:
    sub = Subroute(routes=routes())
    assert gojson.dumps(json_module_object(sub, "handler", "subroute")) == gojson.dumps(round_trip(sub))
