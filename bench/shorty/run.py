"""Shorty codec cost: µs per deflate and per inflate of one JSON event, before and after; and
the server CPU per delivery of a shorty fan-out (fanout_cost.py).

Each codec first sees WARMUP realistic messages (subscribe replies, verify, events on a few
channels), as a long-lived subscriber connection would; then we time COUNT fresh events of
about 100 B, 200 B and 1 KB, best of ROUNDS. "before" is shorty.py as of BASELINE (loaded from
git), "after" is the working tree. Times are process CPU time (the benchmark machine is shared,
so wall time would count other processes' slices), best of ROUNDS.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import BENCH, ROOT, plot_bars, save  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fanout_cost  # noqa: E402

BASELINE = os.environ.get("BENCH_SHORTY_BASELINE", "389141d")
WARMUP = int(os.environ.get("BENCH_SHORTY_WARMUP", "300"))
COUNT = int(os.environ.get("BENCH_SHORTY_COUNT", "400"))
ROUNDS = int(os.environ.get("BENCH_SHORTY_ROUNDS", "9"))
SIZES = {"100 B": 100, "200 B": 200, "1 KB": 1024}
SHORTY = "caddy_py/modules/websocket_notifier/shorty.py"


def load(source: str, name: str) -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), mod.__dict__)
    return mod


def event(rnd: random.Random, seq: int, size: int) -> bytes:
    """One notifier event frame of about `size` bytes, with a payload that varies per event."""
    doc = {"operation": "event", "channel": f"orders.{rnd.randrange(8)}", "seq": seq, "data": {}}
    words = ["status", "shipped", "id", "price", "user", "note", "qty", "sku", "eta", "ok"]
    data = doc["data"]
    while len(json.dumps(doc, separators=(",", ":"))) < size - 12:
        data[rnd.choice(words) + str(len(data))] = rnd.choice(
            [rnd.randrange(10**6), rnd.choice(words), rnd.random() < 0.5])
    return json.dumps(doc, separators=(",", ":")).encode() + b"\n"


def warmup_traffic(rnd: random.Random) -> list[bytes]:
    msgs = [b'{"operation":"verify","token":"%s"}\n' % rnd.randbytes(12).hex().encode()]
    msgs += [b'{"operation":"subscribe","channel":"orders.%d","success":true,"seq":0}\n' % i
             for i in range(8)]
    msgs += [event(rnd, i, rnd.choice(list(SIZES.values()))) for i in range(WARMUP)]
    return msgs


def measure(mod: types.ModuleType, size: int) -> tuple[float, float, bytes]:
    rnd = random.Random(size)
    enc, dec = mod.Shorty(), mod.Shorty()
    for m in warmup_traffic(rnd):
        dec.inflate(enc.deflate(m))
    events = [event(rnd, WARMUP + i, size) for i in range(COUNT * ROUNDS)]
    best_d = best_i = float("inf")
    wire = b""
    for r in range(ROUNDS):
        batch = events[r * COUNT:(r + 1) * COUNT]
        t0 = time.process_time()
        zs = [enc.deflate(m) for m in batch]
        t1 = time.process_time()
        outs = [dec.inflate(z) for z in zs]
        t2 = time.process_time()
        assert outs == batch
        wire += b"".join(zs)
        best_d = min(best_d, (t1 - t0) / COUNT * 1e6)
        best_i = min(best_i, (t2 - t1) / COUNT * 1e6)
    return best_d, best_i, wire


def main() -> None:
    before_src = subprocess.run(["git", "show", f"{BASELINE}:{SHORTY}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
    codecs = {"before": load(before_src, "shorty_before"),
              "after": load((ROOT / SHORTY).read_text(), "shorty_after")}
    results: dict = {"baseline": BASELINE, "warmup_messages": WARMUP, "count": COUNT,
                     "rounds": ROUNDS, "us_per_message": {}}
    wires = {}
    for label, mod in codecs.items():
        row = results["us_per_message"][label] = {}
        for name, size in SIZES.items():
            d, i, wire = measure(mod, size)
            row[name] = {"deflate": round(d, 2), "inflate": round(i, 2)}
            wires[label, name] = wire
            sys.stdout.write(f"{label:7} {name:6} deflate {d:8.2f} µs  inflate {i:8.2f} µs\n")
    results["byte_identical"] = all(wires["before", n] == wires["after", n] for n in SIZES)
    sys.stdout.write(f"byte-identical wire output: {results['byte_identical']}\n")
    results["fanout"] = fanout_cost.measure()
    for n, row in results["fanout"]["us_per_delivery"].items():
        sys.stdout.write(f"fan-out to {n}: µs per delivery plain {row['plain']}, shorty shared "
                         f"{row['shorty_shared']}, shorty private {row['shorty_private']}\n")
    save("shorty", results)
    u = results["us_per_message"]
    series = {f"{lbl} {op}": [u[lbl][n][op] for n in SIZES]
              for op in ("deflate", "inflate") for lbl in ("before", "after")}
    plot_bars(BENCH / "shorty" / "shorty.png", "shorty codec: µs per JSON event (after warm-up)",
              list(SIZES), series, "µs per message")


if __name__ == "__main__":
    main()
