"""The indexed subset checks agree with Caddy's definitions written out naively."""
from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from caddy_py.httpcaddyfile.certnames import match_wildcard
from caddy_py.httpcaddyfile.policysubsets import SubsetIndex, covering_names


@dataclass(eq=False)
class Policy:
    subjects: list[str] = field(default_factory=list)


def naive_subset(a: Policy, b: Policy) -> bool:
    if not b.subjects:
        return True
    if not a.subjects:
        return False
    return all(any(match_wildcard(x, y) for y in b.subjects) for x in a.subjects)


def naive_shadows(i: int, aps: list[Policy]) -> int:
    return next((j for j in range(i + 1, len(aps)) if naive_subset(aps[i], aps[j])), -1)


labels = st.sampled_from(["a", "B", "c", "*", "", "x"])
names = st.lists(labels, min_size=1, max_size=4).map(".".join)
policies = st.lists(st.lists(names, max_size=3).map(lambda s: Policy(s)), max_size=12)


@given(names, names)
def test_covering_names_is_match_wildcard(subject: str, wildcard: str) -> None:
    assert (wildcard.lower() in covering_names(subject)) == match_wildcard(subject, wildcard)


@settings(max_examples=300)
@given(policies)
def test_subset_and_first_cover_match_naive(aps: list[Policy]) -> None:
    idx = SubsetIndex()
    for a in aps:
        for b in aps:
            assert idx.is_subset(a, b) == naive_subset(a, b)
    idx.index(aps)
    alive = {id(ap) for ap in aps}
    for i, a in enumerate(aps):
        j = naive_shadows(i, aps)
        assert idx.first_cover(a, alive) is (aps[j] if j >= 0 else None)


def test_removed_policies_are_not_covers() -> None:
    a, wild, catch_all = Policy(["x.a.com"]), Policy(["*.a.com"]), Policy([])
    idx = SubsetIndex()
    idx.index([a, wild, catch_all])
    assert idx.first_cover(a, {id(a), id(wild), id(catch_all)}) is wild
    assert idx.first_cover(a, {id(a), id(catch_all)}) is catch_all


def test_new_subjects_list_is_read_again() -> None:
    a, b = Policy(["x.a.com"]), Policy(["y.a.com"])
    idx = SubsetIndex()
    assert not idx.is_subset(a, b)
    b.subjects = ["y.a.com", "X.A.com"]
    assert idx.is_subset(a, b)
