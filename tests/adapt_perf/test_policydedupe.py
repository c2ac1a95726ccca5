"""The bucketed duplicate pass gives what Go's pairwise loop gives, on random policy lists."""
from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from caddy_py.httpcaddyfile.policydedupe import dedupe
from caddy_py.httpcaddyfile.policysubsets import SubsetIndex
from caddy_py.httpcaddyfile.tlsapp import _dedupe_pairwise, _deep_equal, _SubjectFacts
from caddy_py.httpcaddyfile.tlsmodels import AutomationPolicy

names = st.sampled_from(["a.com", "b.com", "*.a.com", "x.a.com", "localhost", "10.0.0.1", "c.internal", "*.*.d.org"])
issuers = st.sampled_from([None, [], [{"module": "internal"}], [{"module": "acme", "email": "a@b.c"}],
                           [{"module": "internal", "ca": "x"}], [{"module": "acme"}, {"module": "zerossl"}]])
policy = st.builds(AutomationPolicy, subjects=st.lists(names, max_size=3, unique=True), issuers_raw=issuers,
                   key_type=st.sampled_from(["", "p256"]), on_demand=st.booleans(),
                   managers=st.sampled_from([[], [{"via": "tailscale"}]]),
                   renewal_window_ratio=st.sampled_from([0.0, 0.5, 0.5000]))


class _NeverOwned(dict):
    """Makes every merge copy the subjects list, as Go's append to a fresh slice would."""

    def get(self, *args: object) -> None:
        return None


@settings(max_examples=400, deadline=None)
@given(st.lists(policy, max_size=14))
def test_same_as_pairwise(aps: list[AutomationPolicy]) -> None:
    """The bucketed pass, growing merged subject lists in place, against Go's pairwise loop
    with a fresh list per merge."""
    fast_in, slow_in = copy.deepcopy(aps), copy.deepcopy(aps)
    subsets = SubsetIndex()
    facts = _SubjectFacts(subsets)
    fast = dedupe(fast_in, _deep_equal, facts.same_issuers, facts.merge_subjects, subsets.is_subset)
    slow_subsets = SubsetIndex()
    slow_facts = _SubjectFacts(slow_subsets)
    slow_facts._owned = _NeverOwned()
    slow = _dedupe_pairwise(slow_in, slow_facts, slow_subsets)
    assert fast is not None
    assert [p.to_json() for p in fast] == [p.to_json() for p in slow]


def test_unhashable_values_fall_back() -> None:
    ap = AutomationPolicy(subjects=["a.com"], storage={"module": "file_system", "x": {1, 2}})  # a set: no freeze
    subsets = SubsetIndex()
    facts = _SubjectFacts(subsets)
    assert dedupe([ap], _deep_equal, facts.same_issuers, facts.merge_subjects, subsets.is_subset) is None
