"""Run every benchmark (or only summarise: --summary-only) and write bench/RESULTS.md.

Each benchmark writes its own results.json; this file only reads them, so a partial run still
gives a summary of the newest numbers of every benchmark, each with the date it was measured.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["adapt", "proxy", "fanout", "shorty"]


def load(name: str) -> dict | None:
    path = BENCH / name / "results.json"
    return json.loads(path.read_text()) if path.exists() else None


def when(r: dict) -> str:
    m = r.get("machine", {})
    return f"{m.get('date', '?')}, {m.get('cores', '?')} cores {m.get('cpu', '')}, Python {m.get('python', '?')}"


def adapt_section(r: dict) -> list[str]:
    out = ["| sites | lines | caddy adapt | caddy-py adapt (CLI) | caddy-py in-process |", "|---|---|---|---|---|"]
    for row in r["rows"]:
        out.append(f"| {row['sites']} | {row['lines']} | {row['caddy_s']:.3f} s | {row['caddy_py_s']:.3f} s | "
                   f"{row['caddy_py_in_process_s']:.3f} s |")
    return out


def proxy_section(r: dict) -> list[str]:
    out = ["| scenario | Caddy req/s | caddy-py req/s | ratio | caddy-py p99 |", "|---|---|---|---|---|"]
    for s, ratio in r["ratio_caddy_py_over_caddy"].items():
        c, p = r["best"]["caddy"][s], r["best"]["caddy-py"][s]
        out.append(f"| {s} | {c['rps']:.0f} | {p['rps']:.0f} | {ratio:.2f} | {p['p99_ms']:.1f} ms |")
    return out


def fanout_section(r: dict) -> list[str]:
    out = ["| target | measured | verdict |", "|---|---|---|"]
    for v in r.get("verdicts", {}).values():
        out.append(f"| {v['target']} | {v['measured']} | {v['verdict']} |")
    return out + floor_lines()


def floor_lines() -> list[str]:
    """bench/fanout/floor.py: the bare-socket paced fan-out on this machine (no caddy-py code)."""
    path = BENCH / "fanout" / "floor.json"
    if not path.exists():
        return []
    rows = json.loads(path.read_text())
    out = ["", "The machine's floor for the paced targets (`fanout/floor.py`: raw sockets, one send per",
           "subscriber per event, 20 events/s, no WebSocket or JSON work, no caddy-py code):", "",
           "| subscribers | sender threads | p50 | p99 | max | server µs/delivery | reader µs/delivery |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append(f"| {r['subscribers']} | {r['threads']} | {r['p50_ms']:.1f} ms | {r['p99_ms']:.1f} ms | "
                   f"{r['max_ms']:.1f} ms | {r['server_cpu_us_per_delivery']} | {r['reader_cpu_us_per_delivery']} |")
    return out


def shorty_section(r: dict) -> list[str]:
    after = r["us_per_message"].get("after") or r["us_per_message"].get("before")
    out = ["| event size | deflate µs | inflate µs |", "|---|---|---|"]
    for size, v in after.items():
        out.append(f"| {size} | {v['deflate']} | {v['inflate']} |")
    return out


SECTIONS = {"adapt": ("Caddyfile adapt time", adapt_section), "proxy": ("HTTP throughput against Caddy (wrk)", proxy_section),
            "fanout": ("websocket_notifier fan-out: the issue's targets", fanout_section),
            "shorty": ("shorty codec, per message per connection", shorty_section)}


def write_summary() -> Path:
    lines = ["# Benchmark results", "",
             "Written by `make bench` (`bench/run_all.py`) from each benchmark's `results.json`; details, plots",
             "and the explanation of every missed target are in each benchmark's README.", ""]
    for name in ORDER:
        title, section = SECTIONS[name]
        lines += [f"## {title} (`bench/{name}/`)", ""]
        r = load(name)
        if r is None:
            lines += ["Not run yet.", ""]
            continue
        lines += [f"Measured {when(r)}.", ""]
        try:
            lines += section(r)
        except (KeyError, TypeError) as e:
            lines += [f"(results.json has an unexpected shape: {e!r})"]
        lines.append("")
    lines += ["## Missed targets: why, and what would reach them", "",
              "- Paced p99 at 5k and 15k: below this machine's floor (table above): a bare server that only",
              "  calls `send` on raw sockets gets 85 ms at 5k and 304 ms at 15k, because one loopback send",
              "  costs ~8 µs of CPU and one receive ~7.5 µs on this VM, and sender and reader share two",
              "  cores. The notifier is at the floor at 1k and ~2x above it at 5k and 15k (`fanout/README.md`).",
              "- `reverse_proxy` ≥ 0.5x Caddy: 0.42x. One event loop spends ~2/3 of each request in uvloop",
              "  and the socket syscalls, and aiohttp's client ~45 % of the proxy's Python; Caddy uses both",
              "  cores. What would reach it: `workers N` (SO_REUSEPORT processes), which first needs the",
              "  notifier's hub state out of the worker processes (`proxy/README.md`).",
              "- 5,000-site adapt < 1 s: ~1.05–1.1 s of CPU in process, 1.3–1.5 s wall (Caddy: 11–13 s).",
              "  No step is quadratic any more and none is over ~15 %: lexer + parser 0.17 s, TLS policy",
              "  consolidation 0.15 s, per-site route sorting 0.1 s, JSON printing 0.1 s (msgspec would save",
              "  ~0.065 s once the adapter's 15 dataclasses print as plain data), the is-it-formatted check",
              "  0.07 s, directive parsers the rest. Reaching 1 s wall takes about a third off each of",
              "  them (`adapt/README.md`).",
              "- Numbers are from one `make bench` run on an otherwise idle machine; each README says how much",
              "  to trust wall-clock figures against CPU-time ones.", ""]
    out = BENCH / "RESULTS.md"
    out.write_text("\n".join(lines))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--summary-only", action="store_true")
    ap.add_argument("--quick", action="store_true", help="pass --quick to benchmarks that have it")
    args = ap.parse_args()
    if not args.summary_only:
        for name in ORDER:
            script = BENCH / name / "run.py"
            cmd = [sys.executable, str(script)]
            if args.quick and "--quick" in script.read_text():
                cmd.append("--quick")
            sys.stdout.write(f"== {name}\n")
            sys.stdout.flush()
            subprocess.run(cmd, check=False)
            if name == "fanout" and not args.quick:
                floor = BENCH / "fanout" / "floor.py"
                subprocess.run([sys.executable, str(floor), "--json", str(floor.with_name("floor.json"))], check=False)
    sys.stdout.write(f"summary: {write_summary()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
