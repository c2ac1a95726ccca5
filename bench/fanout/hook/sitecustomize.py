"""Benchmark-only hook, loaded into the caddy-py server through PYTHONPATH (never shipped).

caddy-py exposes no GC-pause metric, so the fan-out benchmark puts this directory on the
server's PYTHONPATH. With FANOUT_GC_FILE set it times every collection (gc.callbacks) and a
daemon thread rewrites that file with the stats four times a second. With FANOUT_PROFILE set,
signal SIGRTMIN+3 starts cProfile in the main thread (and creates FANOUT_PROFILE.on), SIGRTMIN+4
stops it and dumps the stats to FANOUT_PROFILE (caddy-py, like Caddy, reloads on SIGUSR1).
With FANOUT_CENSUS set, SIGRTMIN+5 writes the number of GC-tracked objects by type to that file
(types of the collected generations; objects frozen with gc.freeze() only as a count).
"""
from __future__ import annotations

import gc
import json
import os
import signal
import threading
import time

_GC_FILE = os.environ.get("FANOUT_GC_FILE")
_PROFILE = os.environ.get("FANOUT_PROFILE")
PROFILE_START = signal.SIGRTMIN + 3
PROFILE_STOP = signal.SIGRTMIN + 4
CENSUS = signal.SIGRTMIN + 5
_CENSUS = os.environ.get("FANOUT_CENSUS")


def _install_gc_timer(path: str) -> None:
    # wall time is the pause subscribers see; thread CPU time is that pause without the time the
    # OS gave other processes (the benchmark machine may be shared)
    stats = {"count": [0, 0, 0], "total_ns": [0, 0, 0], "max_ns": [0, 0, 0], "max_cpu_ns": [0, 0, 0],
             "pauses": []}
    started = [0, 0]

    def on_gc(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter_ns()
            started[1] = time.thread_time_ns()
            return
        dur = time.perf_counter_ns() - started[0]
        cpu = time.thread_time_ns() - started[1]
        gen = info.get("generation", 0)
        stats["count"][gen] += 1
        stats["total_ns"][gen] += dur
        stats["max_ns"][gen] = max(stats["max_ns"][gen], dur)
        stats["max_cpu_ns"][gen] = max(stats["max_cpu_ns"][gen], cpu)
        if dur >= 1_000_000 and len(stats["pauses"]) < 10_000:  # keep the pauses of 1 ms or more
            stats["pauses"].append([time.time_ns(), gen, dur, cpu, info.get("collected", 0)])

    def writer() -> None:
        tmp = path + ".tmp"
        for _ in range(4 * 3600 * 6):  # bounded: six hours of quarter-second dumps
            with open(tmp, "w") as fh:
                json.dump(stats, fh)
            os.replace(tmp, path)
            time.sleep(0.25)

    gc.callbacks.append(on_gc)
    threading.Thread(target=writer, name="fanout-gc-stats", daemon=True).start()


def _install_profiler(path: str) -> None:
    import cProfile

    prof = cProfile.Profile()

    def start(signum: int, frame: object) -> None:
        prof.enable()
        with open(path + ".on", "w"):  # tells run.py the profiler runs
            pass

    def stop(signum: int, frame: object) -> None:
        prof.disable()
        prof.dump_stats(path + ".tmp")
        os.replace(path + ".tmp", path)  # run.py never sees a half-written dump

    signal.signal(PROFILE_START, start)
    signal.signal(PROFILE_STOP, stop)


def _install_census(path: str) -> None:
    from collections import Counter

    def census(signum: int, frame: object) -> None:
        objs = gc.get_objects()  # the collected generations only: frozen objects are counted, not listed
        by_type = Counter(type(o).__qualname__ for o in objs)
        with open(path + ".tmp", "w") as fh:
            json.dump({"tracked": len(objs), "frozen": gc.get_freeze_count(), "by_type": by_type.most_common(25)}, fh)
        os.replace(path + ".tmp", path)

    signal.signal(CENSUS, census)


if _CENSUS:
    _install_census(_CENSUS)
if _GC_FILE:
    _install_gc_timer(_GC_FILE)
if _PROFILE:
    _install_profiler(_PROFILE)
