"""Adapt time for Caddyfiles of 1, 100, 1,000 and 5,000 sites: caddy-py against `caddy adapt`.

Each site has a handful of typical directives (matchers, reverse_proxy, header, encode,
file_server); every tenth is an intranet site on `tls internal` and every fifth redirects its
old paths, so TLS policy consolidation has real work. The 5,000-site file is ~62,000 lines.
Both tools are timed as whole commands (process start included, best of N; the 1-site row is
mostly start-up), and caddy-py's adapter also in-process (no start-up). The caddy-py command
runs with bytecode caching on (a warm-up run writes the .pyc files), as an installed package would.
"""
from __future__ import annotations

import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import BENCH, caddy_binary, caddy_py_command, plot_bars, save, timed_run  # noqa: E402

from sites import caddyfile  # noqa: E402  (this directory is on sys.path when run as a script)

SIZES = [1, 100, 1000, 5000]
REPEAT = 3


def best(cmd: list[str], **kw) -> float:
    timed_run(cmd, **kw)  # warm-up: page cache, and the .pyc files for caddy-py
    return min(timed_run(cmd, **kw) for _ in range(REPEAT))


def with_bytecode() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def in_process(path: Path) -> float:
    from caddy_py.httpcaddyfile.adapter import adapt

    data = path.read_bytes()
    adapt(b"a.example.com {\n\trespond ok\n}\n", "warm-up")  # imports and lazily built tables
    times = []
    for _ in range(REPEAT):
        gc.collect()  # start each run from a clean heap, as a fresh process would
        t0 = time.perf_counter()
        adapt(data, str(path))
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> dict:
    caddy = caddy_binary()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            path = Path(tmp) / f"Caddyfile.{n}"
            path.write_text(caddyfile(n))
            lines = path.read_text().count("\n")
            rows.append({
                "sites": n,
                "lines": lines,
                "caddy_s": best([caddy, "adapt", "--config", str(path), "--adapter", "caddyfile"]),
                "caddy_py_s": best([*caddy_py_command(), "adapt", "--config", str(path), "--adapter", "caddyfile"],
                                   env=with_bytecode()),
                "caddy_py_in_process_s": in_process(path),
            })
    results = {"benchmark": "adapt", "repeat": REPEAT, "rows": rows}
    save("adapt", results)
    plot_bars(BENCH / "adapt" / "adapt.png", "Caddyfile adapt time (lower is better)",
              [f"{r['sites']} sites" for r in rows],
              {"caddy": [r["caddy_s"] for r in rows], "caddy-py (CLI)": [r["caddy_py_s"] for r in rows],
               "caddy-py (in-process)": [r["caddy_py_in_process_s"] for r in rows]}, "seconds")
    return results


if __name__ == "__main__":
    for r in main()["rows"]:
        sys.stdout.write(f"{r['sites']:>5} sites {r['lines']:>6} lines  caddy {r['caddy_s']:.3f}s  "
                         f"caddy-py {r['caddy_py_s']:.3f}s (in-process {r['caddy_py_in_process_s']:.3f}s)\n")
