"""ResponseMatcher's header patterns (compiled once into C-level checks) match exactly as the
pattern-by-pattern rules say: `*` any, `*x*` contains, `*x` suffix, `x*` prefix, else exact."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from caddy_py.modules.encode.handler import Encode
from caddy_py.modules.reverse_proxy.header_ops import ResponseMatcher, ValueTest


def one_pattern(have: str, want: str) -> bool:
    if want == "*":
        return True
    if want.startswith("*") and want.endswith("*") and len(want) > 1:
        return want[1:-1] in have
    if want.startswith("*"):
        return have.endswith(want[1:])
    if want.endswith("*"):
        return have.startswith(want[:-1])
    return have == want


text = st.text(alphabet="ab*/", max_size=5)


@settings(max_examples=400, deadline=None)
@given(have=text, wanted=st.lists(text, min_size=1, max_size=4))
def test_value_test_is_any_pattern_matching(have: str, wanted: list[str]) -> None:
    assert ValueTest(wanted)(have) == any(one_pattern(have, w) for w in wanted)


def test_matcher_presence_absence_and_values() -> None:
    m = ResponseMatcher([2], {"Content-Type": ["text/*", "*json*"], "X-Any": [], "X-None": None})
    ok = CIMultiDict({"content-type": "application/problem+json", "X-Any": ""})
    assert m.match(204, ok)
    assert not m.match(404, ok)
    assert not m.match(200, CIMultiDict({"Content-Type": "image/png", "X-Any": "1"}))
    assert not m.match(200, CIMultiDict({"Content-Type": "text/html"}))  # X-Any missing
    assert not m.match(200, CIMultiDict({"Content-Type": "text/html", "X-Any": "", "X-None": "1"}))
    # any of several values of the header may match
    two = CIMultiDict([("Content-Type", "image/png"), ("Content-Type", "text/plain"), ("X-Any", "")])
    assert m.match(200, two)


def test_encode_default_types() -> None:
    m = Encode({"encodings": {"gzip": {}}}).matcher
    for ctype, want in [("text/html; charset=utf-8", True), ("application/json", True),
                        ("image/svg+xml", True), ("image/png", False), ("video/mp4", False)]:
        assert m.match(200, CIMultiDict({"Content-Type": ctype})) is want, ctype
