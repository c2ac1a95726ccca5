"""The C-codec fast paths of gojson print, sort and copy exactly what the Go-exact pure-Python
walks do (those stay as the reference and as the fallback for floats and odd types)."""
from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from caddy_py import gojson

KEYS = st.text(st.sampled_from("ab<&>\u2028é\x01\"\\ \ud800"), max_size=4)
SCALARS = (st.none() | st.booleans() | st.integers(-(1 << 60), 1 << 60)
           | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8))
TREES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
                     max_leaves=20)


def reference_dumps(obj: object, pretty: bool = False) -> str:
    out: list[str] = []
    if pretty:
        gojson._encode_pretty(obj, out, 0)
    else:
        gojson._encode(obj, out)
    return "".join(out)


@dataclass
class Module:
    """Something the adapter keeps as an object until it prints (a `to_json` value)."""

    value: object

    def to_json(self) -> object:
        return {"z": self.value, "a": (1, "<x>")}


@settings(max_examples=300, deadline=None)
@given(TREES)
def test_dumps_is_the_reference_encoder(obj: object) -> None:
    assert gojson.dumps(obj) == reference_dumps(obj)
    assert gojson.dumps(obj, pretty=True) == reference_dumps(obj, pretty=True)


@settings(max_examples=200, deadline=None)
@given(TREES)
def test_sorted_deep_and_plain_are_the_walks(obj: object) -> None:
    wrapped = {"m": Module(obj), "t": (obj,)}
    fast, slow = gojson.sorted_deep(wrapped), gojson._sorted_deep(wrapped)
    assert fast == slow and reference_dumps(fast) == reference_dumps(slow)
    fast, slow = gojson.plain(wrapped), gojson._plain(wrapped)
    assert fast == slow and reference_dumps(fast) == reference_dumps(slow)


def test_floats_and_big_integers_print_as_go_does() -> None:
    assert gojson.dumps({"a": [1.0, 1e21, 1.5e-7, -0.0]}) == '{"a":[1,1e+21,1.5e-7,-0]}'
    assert gojson.dumps(2.5) == "2.5"
    # a string that looks like a float after a comma is not a float
    assert gojson.dumps(["a,1.5", 3]) == '["a,1.5",3]'
    assert gojson.sorted_deep({"n": (1 << 60) + 1}) == {"n": float((1 << 60) + 1)}
    # through Go's map an integer past 2**53 is a float64, printed with its lost digits as zeros
    assert gojson.dumps(gojson.sorted_deep({"n": 1 << 60, "m": 1 << 52})) == '{"m":4503599627370496,"n":1152921504606847000}'


def test_unsupported_values_keep_the_reference_errors() -> None:
    for bad in ({"a": object()}, [float("nan")]):
        try:
            gojson.dumps(bad)
        except (TypeError, ValueError) as e:
            message = str(e)
        else:
            raise AssertionError("no error")
        assert message.startswith("json: unsupported")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, TREES, max_size=4))
def test_sorted_deep_python_walk_is_the_c_round_trip(obj: dict) -> None:
    """sorted_deep walks plain data in Python; the C round trip it replaced gives the same."""
    fast, c_trip = gojson.sorted_deep(obj), gojson._sorted_by_c(obj)
    assert fast == c_trip and reference_dumps(fast) == reference_dumps(c_trip)

    class Tagged(dict):
        pass

    made = gojson.sorted_object(obj, Tagged)
    assert type(made) is Tagged and reference_dumps(made) == reference_dumps(c_trip)
