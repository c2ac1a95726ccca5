"""Keep long-lived objects (a loaded config, notifier subscribers) out of full garbage
collections, without leaking.

Why: CPython 3.11 runs a full collection whenever the objects promoted to the oldest generation
since the last one exceed 25 % of it. A connection ramp keeps promoting subscriber objects (~11
tracked objects each), so full collections recur and each walks every subscriber: 50 ms at 5k
and 200 ms at 15k subscribers (bench/fanout). Subscribers do not need the collector: they hold no
reference cycles (tests/notifier/test_gc_cycles.py), so reference counting frees them when they
leave, frozen or not. `gc.freeze()` moves every tracked object into the permanent generation,
which collections skip; so the notifier freezes once enough subscribers have joined.

The trade-off: freeze takes every tracked object alive at that moment, and one that later dies
in a reference cycle (a request in flight then, a replaced config) is not collected while
frozen. It is bounded, never cumulative:
* a full collection runs right before each freeze, so nothing that is garbage then is frozen.
  It walks only what is not frozen yet: the subscribers joined since the last freeze
  (`freeze_every` x ~11 objects, a few ms), the whole heap only the first time after a release;
* every config change (a notifier route provisioned or cleaned up) releases the frozen set
  (`gc.unfreeze()`), so a replaced config's cyclic garbage is collected once it dies; freezing
  resumes `settle` seconds or `freeze_every` joins later, when the old config is normally gone;
* the frozen set is also released (then collected and frozen again) when it has gone stale:
  after a mass disconnect (fewer than a quarter of the subscribers present at the last freeze
  remain), or after churn (more joins since the last release than `churn` x the subscribers
  connected: each freeze may have caught some cyclic garbage in flight).
A release followed by a collection is one full pass over everything alive, the long pause this
module otherwise avoids; it is kept to those rare events. Until the first subscriber joins, each
config change freezes at once (the start-up config, route by route: nobody to pause yet); were a
config without a notifier replaced by one with it before anyone joined, the old config would stay
frozen until the next release.

`caddy-py run` also freezes every loaded config, notifier or not (`Runtime(gc_freeze=True)`):
a config's routes, handlers and the code they use live until the next reload, and each full
collection walked them all (~57k objects; 60-90 ms passes several times a second under proxy
load). The first config is frozen once it is active; a reload releases the frozen set and
freezes again when the replaced config has finished stopping, after the collection that frees
it. In-process users of `Runtime` (the tests) keep the default, off.
"""
from __future__ import annotations

import gc
import logging

log = logging.getLogger("caddy")  # process-wide, like the runtime's own messages


class FreezePolicy:
    def __init__(self, freeze_every: int = 500, churn: int = 2, settle: float = 10.0) -> None:
        self.freeze_every = freeze_every
        self.churn = churn
        self.settle = settle
        self.live = 0  # subscribers connected, over every notifier of the process
        self.since_freeze = 0  # joins since the last freeze or config change
        self.since_release = 0  # joins since the frozen set was last released
        self.frozen_live = 0  # subscribers connected at the last freeze
        self.frozen = False  # something was frozen since the last release
        self.changed_at: float | None = None  # last config change (loop time)
        self.starting = True  # no subscriber has joined yet: freezing now pauses nobody
        self.freezes = 0
        self.releases = 0

    # -- events ----------------------------------------------------------------------------
    def config_changed(self, now: float) -> None:
        """A notifier route was provisioned or cleaned up."""
        self.changed_at = now
        self.since_freeze = 0
        if self.frozen:
            self._release()
        if self.starting:  # the start-up config (each of its routes): nobody to pause yet
            self._freeze()

    def config_activated(self, now: float, first: bool) -> None:
        """The runtime made a config current. The first one is frozen at once; after a reload the
        replaced config is still stopping, so only release now (see `config_retired`)."""
        self.changed_at = now
        self.since_freeze = 0
        if self.frozen:
            self._release()
        if first:
            self._freeze()

    def config_retired(self) -> None:
        """The replaced config has stopped: what it left is garbage now, freeze the rest."""
        if not self.frozen:
            self._freeze()

    def joined(self) -> None:
        self.starting = False
        self.live += 1
        self.since_freeze += 1
        self.since_release += 1
        if self.since_freeze >= self.freeze_every:
            if self.frozen and self.since_release >= self.churn * max(self.live, self.freeze_every):
                self._release()
            self._freeze()

    def left(self) -> None:
        self.live -= 1
        if self.frozen and self.frozen_live >= self.freeze_every and self.live * 4 < self.frozen_live:
            self._release()
            self._freeze()

    def tick(self, now: float) -> None:
        """The scheduler's tick: freeze again once a config change has settled."""
        if not self.frozen and self.changed_at is not None and now - self.changed_at >= self.settle:
            self._freeze()

    # -- actions ---------------------------------------------------------------------------
    def _freeze(self) -> None:
        found = gc.collect()
        gc.freeze()
        self.frozen = True
        self.frozen_live = self.live
        self.since_freeze = 0
        self.freezes += 1
        log.debug("froze the collector's generations", extra={"caddy_fields": {
            "subscribers": self.live, "collected": found}})

    def _release(self) -> None:
        gc.unfreeze()
        self.frozen = False
        self.since_release = 0
        self.releases += 1


POLICY = FreezePolicy()
