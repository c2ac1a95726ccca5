"""Caddy's automationPolicyIsSubset / automationPolicyShadows without comparing every pair.

certmagic.MatchWildcard(x, y) holds when x and y are equal ignoring case, or when y is x with
its first k non-empty labels replaced by "*" (it stars them cumulatively, left to right). So "is x covered by b" is a set lookup of x and of
its few starred forms among b's lowered subjects, and "which later policy covers a" only
needs the policies that hold one of the names that could cover a's first subject (plus the
catch-alls, which cover everything).
"""
from __future__ import annotations

from bisect import bisect_right
from typing import Protocol, Sequence


class _Policy(Protocol):
    subjects: list[str]


def covering_names(subject: str) -> tuple[str, ...]:
    """The lowered names that match `subject` by MatchWildcard: itself and its starred forms."""
    low = subject.lower()
    labels = low.split(".")
    out = [low]
    for i, label in enumerate(labels):
        if label:
            labels[i] = "*"
            out.append(".".join(labels))
    return tuple(out)


class SubsetIndex:
    """Subset checks over policies whose lowered subjects are computed once.

    A policy's cache entry is keyed by its object and checked against the identity of its
    subjects list, so a policy given a new subjects list (a merge) is read again."""

    def __init__(self) -> None:
        self._lowered: dict[int, tuple[list[str], frozenset[str], bool]] = {}
        self._covers: dict[str, tuple[str, ...]] = {}
        self._order: dict[int, int] = {}
        self._by_name: dict[str, list[int]] = {}
        self._catch_alls: list[int] = []
        self._ordered: list[_Policy] = []

    def _names(self, ap: _Policy) -> tuple[frozenset[str], bool]:
        hit = self._lowered.get(id(ap))
        if hit is None or hit[0] is not ap.subjects:
            names = frozenset(s.lower() for s in ap.subjects)
            hit = (ap.subjects, names, any("*" in s for s in names))
            self._lowered[id(ap)] = hit
        return hit[1], hit[2]

    def forget(self, ap: _Policy) -> None:
        """ap's subjects list changed in place: read it again when next asked."""
        self._lowered.pop(id(ap), None)

    def _covering(self, subject: str) -> tuple[str, ...]:
        out = self._covers.get(subject)
        if out is None:
            out = self._covers[subject] = covering_names(subject)
        return out

    def is_subset(self, a: _Policy, b: _Policy) -> bool:
        """Every subject of a is matched by some subject of b (an empty b covers all)."""
        if not b.subjects:
            return True
        if not a.subjects:
            return False
        names, wild = self._names(b)
        if not wild:
            return all(s.lower() in names for s in a.subjects)
        return all(not names.isdisjoint(self._covering(s)) for s in a.subjects)

    def index(self, aps: Sequence[_Policy]) -> None:
        """Remember `aps` in this order for `first_cover`; later removals from the list are
        fine, reordering it or changing subjects is not."""
        self._ordered = list(aps)
        self._order = {id(ap): n for n, ap in enumerate(self._ordered)}
        self._by_name = {}
        self._catch_alls = []
        for n, ap in enumerate(self._ordered):
            if not ap.subjects:
                self._catch_alls.append(n)
                continue
            for name in self._names(ap)[0]:
                self._by_name.setdefault(name, []).append(n)

    def first_cover(self, a: _Policy, alive: set[int]) -> _Policy | None:
        """The first indexed policy after `a` (among those whose id is in `alive`) that covers
        a's subjects, i.e. what automationPolicyShadows finds."""
        start = self._order[id(a)]
        candidates: set[int] = set(self._catch_alls[bisect_right(self._catch_alls, start):])
        if a.subjects:
            for name in self._covering(a.subjects[0]):
                found = self._by_name.get(name)
                if found:
                    candidates.update(found[bisect_right(found, start):])
        for n in sorted(candidates):
            b = self._ordered[n]
            if id(b) in alive and self.is_subset(a, b):
                return b
        return None
