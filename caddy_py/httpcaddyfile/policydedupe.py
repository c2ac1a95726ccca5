"""The second pass of Caddy's consolidateAutomationPolicies (remove or combine duplicate
policies) without comparing every pair.

A pair of policies can only be merged or dropped when their settings (managers, storage,
must_staple, key_type, on_demand, reuse_private_keys, renewal_window_ratio) are equal and
their issuers are the same, which needs equal encoded issuers or both on the default internal
issuer. So each policy only visits the later policies of its own settings-and-issuers bucket
(plus, when it may use the default internal issuer, the others that may too), in order; every
visit runs the same checks as Go's pairwise loop, and skipped pairs are ones where Go does nothing.
"""
from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from typing import Any, Callable, Hashable, Protocol


class _Policy(Protocol):
    subjects: list[str]
    issuers: list[Any]
    issuers_raw: list[dict] | None
    managers: list[dict]
    storage: dict | None
    must_staple: bool
    key_type: str
    on_demand: bool
    reuse_private_keys: bool
    renewal_window_ratio: float


def freeze(value: Any) -> Hashable:
    """A hashable stand-in that is equal exactly when the JSON-like values are (== semantics)."""
    if isinstance(value, dict):
        return frozenset((k, freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    hash(value)  # TypeError for anything else unhashable: the caller falls back
    return value


def settings_equal(a: _Policy, b: _Policy) -> bool:
    return (a.managers == b.managers and a.storage == b.storage and a.must_staple == b.must_staple
            and a.key_type == b.key_type and a.on_demand == b.on_demand
            and a.reuse_private_keys == b.reuse_private_keys
            and a.renewal_window_ratio == b.renewal_window_ratio)


_SCALARS = (str, int, float, bool, type(None))


def _settings_key(ap: _Policy) -> Hashable:
    rest = (ap.must_staple, ap.key_type, ap.on_demand, ap.reuse_private_keys, ap.renewal_window_ratio)
    if not ap.managers and ap.storage is None and all(isinstance(v, _SCALARS) for v in rest):
        # what freeze gives for the usual policy (no managers or storage), without its recursion
        return (freeze(ap.managers), None) + rest
    return freeze((ap.managers, ap.storage) + rest)


def _may_use_default_internal(ap: _Policy) -> bool:
    raw = ap.issuers_raw
    return not raw or (len(raw) == 1 and raw[0] == {"module": "internal"})


def dedupe(aps: list[_Policy], deep_equal: Callable[[_Policy, _Policy], bool],
           same_issuers: Callable[[_Policy, _Policy], bool], merge_subjects: Callable[[_Policy, _Policy], None],
           is_subset: Callable[[_Policy, _Policy], bool]) -> list[_Policy] | None:
    """The duplicate pass over `aps` (sorted by specificity); None when a policy holds values
    that cannot be bucketed (the caller then runs the pairwise loop)."""
    try:
        keys = [(_settings_key(ap), freeze(ap.issuers_raw or None)) for ap in aps]
    except TypeError:
        return None
    same_key: dict[Hashable, list[int]] = defaultdict(list)
    internal: dict[Hashable, list[int]] = defaultdict(list)
    for n, (ap, key) in enumerate(zip(aps, keys)):
        same_key[key].append(n)
        if _may_use_default_internal(ap):
            internal[key[0]].append(n)
    dead: set[int] = set()

    def later(a_pos: int) -> list[int]:
        key = keys[a_pos]
        found = same_key[key]
        out = set(found[bisect_right(found, a_pos):])
        if _may_use_default_internal(aps[a_pos]):
            found = internal[key[0]]
            out.update(found[bisect_right(found, a_pos):])
        return sorted(n for n in out if n not in dead)

    def covered_between(a_pos: int, b_pos: int) -> bool:
        """automationPolicyShadows(i) < j: a live policy between a and b covers a."""
        return any(n not in dead and is_subset(aps[a_pos], aps[n]) for n in range(a_pos + 1, b_pos))

    pos = 0
    while pos < len(aps):
        if pos in dead:
            pos += 1
            continue
        a = aps[pos]
        restart = False
        for n in later(pos):
            if n in dead:
                continue
            b = aps[n]
            if deep_equal(a, b):
                dead.add(n)
                restart = True
                break
            if same_issuers(a, b) and settings_equal(a, b):
                if a.subjects and not b.subjects:
                    if not covered_between(pos, n):
                        dead.add(pos)
                        restart = True
                        break
                else:
                    merge_subjects(a, b)
                    dead.add(n)
        if not restart:
            pos += 1
    return [ap for n, ap in enumerate(aps) if n not in dead]
