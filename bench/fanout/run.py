"""websocket_notifier fan-out: deliveries/s, CPU per delivery, latency, memory, GC, keepalive.

For each subscriber count N (1k, 5k, 15k; `--quick`: 1k, short) and each framing (plain text,
`?shorty=1`), a fresh caddy-py (`caddy-py run` on a generated Caddyfile) sits between the
scripted backend (backend.py) and the load generator (client.py), each its own process:
  1. connect N subscribers to channel `bench`      -> set-up rate, RSS per idle subscriber
  2. stay idle for two ping intervals               -> keepalive cost
  3. a burst of E events                            -> deliveries/s and CPU per delivery
  4. plain only: events paced at 20/s               -> receive - send latency
The server's GC pauses come from hook/sitecustomize.py (an env-var hook: caddy-py has no such
metric). `--profile` adds a cProfile of the server during a 5k burst (profile.txt).
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import BENCH, caddy_py_command, save, stop  # noqa: E402
from fanout.procstat import Snapshot, rss_kb  # noqa: E402
from fanout.processes import Client, free_port, http_json, port_open, start, wait_until  # noqa: E402
from fanout.report import plot, summary_lines, verdicts  # noqa: E402

HERE = BENCH / "fanout"


@dataclass
class Backend:
    port: int
    pid: int


# shorter than Go's 54 s so that a 20 s idle window holds two ping rounds, long enough that a
# subscriber reading a burst's backlog still answers a ping within pong_wait
PING_INTERVAL = 10.0
PONG_WAIT = 30.0
DEFAULT_PING_INTERVAL = 54.0
PACED_RATE = 20


def caddyfile(port: int, backend: int) -> str:
    return f"""{{
	admin off
	log {{
		level ERROR
	}}
}}
:{port} {{
	websocket_notifier /ws "ws://127.0.0.1:{backend}/ws" {{
		pong_wait {PONG_WAIT:g}s
		ping_interval {PING_INTERVAL:g}s
	}}
}}
"""


def gc_stats(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def longest_pause_ms(stats: dict, since_ns: int = 0, cpu: bool = False) -> float:
    """Longest collection since `since_ns` (wall or thread-CPU time; pauses >= 1 ms are kept)."""
    window = [p[3 if cpu else 2] for p in stats.get("pauses", []) if since_ns <= p[0]]
    return max(window, default=0) / 1e6


def longest_pauses(stats: dict, phases: list[tuple[str, int]]) -> dict[str, dict]:
    """The longest collection (by thread CPU) of each phase: set-up, idle, burst, paced."""
    out: dict[str, dict] = {}
    for p in stats.get("pauses", []):
        names = [name for name, t in phases if t <= p[0]]
        if not names:
            continue  # before the server came up
        best = out.get(names[-1])
        if best is None or p[3] / 1e6 > best["cpu_ms"]:
            out[names[-1]] = {"generation": p[1], "wall_ms": round(p[2] / 1e6, 2), "cpu_ms": round(p[3] / 1e6, 2),
                              "collected": p[4]}
    return out


def per(total_us: float, n: int) -> float:
    return round(total_us / n, 3) if n else 0.0


def scenario(tmp: Path, n: int, shorty: bool, backend: Backend, src: str, opts: argparse.Namespace,
             profile: bool = False) -> dict:
    backend_port = backend.port
    port = free_port()
    cf = tmp / f"Caddyfile-{n}-{int(shorty)}"
    cf.write_text(caddyfile(port, backend_port))
    gc_file = tmp / f"gc-{n}-{int(shorty)}.json"
    census_file = tmp / f"census-{n}-{int(shorty)}.json"
    env = {"PYTHONPATH": str(HERE / "hook"), "FANOUT_GC_FILE": str(gc_file), "FANOUT_CENSUS": str(census_file)}
    prof_file = tmp / "server.prof"
    if profile:
        env["FANOUT_PROFILE"] = str(prof_file)
    links = http_json(f"http://127.0.0.1:{backend_port}/status")["links"]
    server = start([*caddy_py_command(), "run", "--config", str(cf), "--adapter", "caddyfile"], tmp,
                   tmp / "server.log", env)
    client = Client(tmp / "client.log")
    res: dict = {"subscribers": n, "shorty": shorty, "loadavg_before": loadavg()}

    def snap() -> Snapshot:
        return Snapshot.take(server.pid, client.pid, backend.pid)
    try:
        wait_until("caddy-py", lambda: port_open(port))
        wait_until("the upstream link", lambda: http_json(f"http://127.0.0.1:{backend_port}/status")["links"] > links)
        t_start = time.time_ns()
        phases = [("setup", t_start)]
        rss0 = rss_kb(server.pid)
        baseline = census(server, census_file)
        before = snap()
        path = "/ws?shorty=1" if shorty else "/ws"
        conn = client.call({"cmd": "connect", "port": port, "path": path, "n": n, "src": src,
                            "concurrency": 200, "timeout": 120}, timeout=200)
        cpu = snap().since(before)
        ready = conn["ready"]
        res["setup"] = {**conn, "connections_per_s": round(ready / conn["secs"], 1),
                        "server_cpu_us_per_connection": per(cpu["server_cpu_us"], ready),
                        "client_cpu_us_per_connection": per(cpu["client_cpu_us"], ready),
                        "others_cpu_share": round(cpu["others_cpu_us"] / max(1.0, cpu["system_cpu_us"]), 3)}
        time.sleep(1.0)  # part of the method: RSS is read 1 s after the last subscriber is ready
        rss1 = rss_kb(server.pid)
        res["rss"] = {"before_kb": rss0, "after_kb": rss1, "kb_per_subscriber": round((rss1 - rss0) / max(1, ready), 2)}
        after = census(server, census_file)
        # per subscriber: all tracked objects, and those the collector still walks (the rest are frozen)
        grown = after["tracked"] + after.get("frozen", 0) - baseline["tracked"] - baseline.get("frozen", 0)
        after["per_subscriber"] = round(grown / max(1, ready), 1)
        after["collected_per_subscriber"] = round((after["tracked"] - baseline["tracked"]) / max(1, ready), 1)
        res["gc_census"] = after

        if not profile and not shorty:
            phases.append(("idle", time.time_ns()))
            res["keepalive"] = keepalive(client, snap, opts.idle)

        # burst: warm up once, then the measured burst
        events = opts.shorty_events(n) if shorty else opts.burst_events(n)
        phases.append(("burst", time.time_ns()))
        burst(client, snap, backend_port, n, max(1, events // 50), timeout=60, quiet=20.0 if shorty else 3.0)
        if profile:
            server.send_signal(signal.SIGRTMIN + 3)  # hook/sitecustomize.py
            wait_until("the profiler", lambda: Path(f"{prof_file}.on").exists(), timeout=10)
        res["burst"] = burst(client, snap, backend_port, n, events, timeout=120, quiet=20.0 if shorty else 3.0)
        if profile:
            server.send_signal(signal.SIGRTMIN + 4)
            wait_until("the profile", prof_file.exists)
            try:
                res["profile"] = top_functions(prof_file, HERE / "profile.txt", n, events)
            except (TypeError, ValueError, EOFError) as e:  # an empty or unreadable dump
                res["profile"] = [{"error": str(e)}]

        if not shorty and not profile and opts.paced:
            phases.append(("paced", time.time_ns()))
            res["paced"] = paced(client, snap, backend_port, n, opts.paced)
        stats = client.call({"cmd": "stats"})
        res["client_end"] = stats
        asked = time.time()  # the hook rewrites its file four times a second: take a fresh one
        wait_until("the GC stats", lambda: gc_file.stat().st_mtime > asked, timeout=5)
        gs = gc_stats(gc_file)
        res["loadavg_after"] = loadavg()
        res["gc"] = {"longest_pause_ms": longest_pause_ms(gs, t_start),
                     "longest_pause_cpu_ms": longest_pause_ms(gs, t_start, cpu=True),
                     "longest_pauses": longest_pauses(gs, phases), "collections": gs.get("count"),
                     "max_ms_by_generation": [round(x / 1e6, 3) for x in gs.get("max_ns", [])],
                     "max_cpu_ms_by_generation": [round(x / 1e6, 3) for x in gs.get("max_cpu_ns", [])],
                     "total_ms_by_generation": [round(x / 1e6, 1) for x in gs.get("total_ns", [])],
                     "pauses_over_1ms": len(gs.get("pauses", []))}
    finally:
        client.quit()
        stop(server)
    return res


def census(server, path: Path) -> dict:
    """GC-tracked objects in the server by type, with every subscriber connected (hook/sitecustomize.py)."""
    server.send_signal(signal.SIGRTMIN + 5)
    wait_until("the GC census", path.exists, timeout=30)
    result = json.loads(path.read_text())
    path.unlink()  # the next census writes the same file
    return result


def keepalive(client: Client, snap, window: float) -> dict:
    """Idle subscribers: only pings, pongs and the notifier's scheduler ticks run."""
    pings0 = client.call({"cmd": "stats"})["pings"]
    before = snap()
    time.sleep(window)
    cpu = snap().since(before)
    pings = client.call({"cmd": "stats"})["pings"] - pings0
    core = cpu["server_cpu_us"] / (window * 1e6)
    # the scheduler's period follows ping_interval, so the cost per ping round is fixed: scale by interval/54 s
    return {"window_s": window, "ping_interval_s": PING_INTERVAL, "pings_answered": pings,
            "server_core_fraction": round(core, 5),
            "server_core_fraction_at_54s": round(core * PING_INTERVAL / DEFAULT_PING_INTERVAL, 5),
            "server_cpu_us_per_ping": per(cpu["server_cpu_us"], pings)}


def server_code() -> dict:
    """Which caddy-py was measured: the work tree is shared, so also say whether it had local changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCH.parent, capture_output=True, text=True).stdout.strip()

    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted_changes": bool(git("status", "--porcelain", "caddy_py"))}


def loadavg() -> float:
    with open("/proc/loadavg") as fh:
        return float(fh.read().split()[0])


def burst(client: Client, snap, backend_port: int, n: int, events: int, timeout: float, quiet: float) -> dict:
    total = events * n
    # shorty deflates every event of a burst for every subscriber before the first write: give it time
    client.send({"cmd": "expect", "n": total, "timeout": timeout, "quiet": quiet})
    client.read(10)
    before = snap()
    sent = http_json(f"http://127.0.0.1:{backend_port}/burst?n={events}", "POST", timeout)
    got = client.read(timeout + 10)
    cpu = snap().since(before)
    count = got["count"]
    secs = (got["last_ns"] - sent["first_ns"]) / 1e9 if count else 0.0
    # when deliveries are missing, the window ran `quiet` seconds past the last one: CPU is per delivery
    # made, rates are over the time deliveries took
    return {"events": events, "expected": total, "deliveries": count, "complete": count == total,
            "seconds": round(secs, 3),
            "deliveries_per_s": round(count / secs) if secs > 0 else 0,
            "server_cpu_us_per_delivery": per(cpu["server_cpu_us"], count),
            "system_cpu_us_per_delivery": per(cpu["system_cpu_us"], count),
            "softirq_us_per_delivery": per(cpu["softirq_us"], count),
            "client_cpu_us_per_delivery": per(cpu["client_cpu_us"], count),
            "bench_processes_cpu_us_per_delivery": per(cpu["server_cpu_us"] + cpu["client_cpu_us"]
                                                       + cpu["backend_cpu_us"] + cpu["softirq_us"], count),
            "deliveries_per_server_cpu_s": round(count / (cpu["server_cpu_us"] / 1e6)) if cpu["server_cpu_us"] else 0,
            "others_cpu_share": round(cpu["others_cpu_us"] / max(1.0, cpu["system_cpu_us"]), 3),
            "server_core_fraction": round(cpu["server_cpu_us"] / (secs * 1e6), 3) if secs > 0 else 0,
            "client_core_fraction": round(cpu["client_cpu_us"] / (secs * 1e6), 3) if secs > 0 else 0,
            "backend_send_s": round((sent["last_ns"] - sent["first_ns"]) / 1e9, 3)}


def paced(client: Client, snap, backend_port: int, n: int, seconds: float) -> dict:
    events = int(seconds * PACED_RATE)
    client.send({"cmd": "expect", "n": events * n, "latency": True, "timeout": seconds + 30, "quiet": 3.0})
    client.read(10)
    before = snap()
    http_json(f"http://127.0.0.1:{backend_port}/paced?n={events}&rate={PACED_RATE}", "POST", seconds + 30)
    got = client.read(seconds + 60)
    cpu = snap().since(before)
    return {"rate_per_s": PACED_RATE, "events": events, "deliveries": got["count"], "expected": events * n,
            "latency_ms": got.get("latency_ms", {}),
            "server_core_fraction": round(cpu["server_cpu_us"] / (seconds * 1e6), 4),
            "client_core_fraction": round(cpu["client_cpu_us"] / (seconds * 1e6), 4),
            "server_cpu_us_per_delivery": per(cpu["server_cpu_us"], got["count"]),
            "others_cpu_share": round(cpu["others_cpu_us"] / max(1.0, cpu["system_cpu_us"]), 3)}


def top_functions(prof: Path, out: Path, n: int, events: int, limit: int = 25) -> list[dict]:
    st = pstats.Stats(str(prof))
    with out.open("w") as fh:
        fh.write(f"# cProfile of caddy-py during a burst of {events} events to {n} subscribers "
                 f"(cProfile slows the server; read the shares, not the absolute times)\n")
        pstats.Stats(str(prof), stream=fh).sort_stats("tottime").print_stats(limit)
    rows = sorted(st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:limit]  # type: ignore[attr-defined]
    total = sum(v[2] for v in st.stats.values()) or 1  # type: ignore[attr-defined]
    return [{"function": f"{Path(k[0]).name}:{k[1]}({k[2]})", "calls": v[1], "tottime_s": round(v[2], 3),
             "share": round(v[2] / total, 3)} for k, v in rows]


def main() -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k subscribers only, short phases (a smoke run)")
    ap.add_argument("--profile", action="store_true", help="also cProfile the server during a 5k burst")
    ap.add_argument("--priority", action="store_true",
                    help="run the benchmark's processes at nice -10 (a shared, busy machine)")
    ap.add_argument("--sizes", default="", help="comma-separated subscriber counts (default 1000,5000,15000)")
    ap.add_argument("--shorty-sizes", default="1000,5000",
                    help="counts that also run with ?shorty=1 (default 1000,5000); 0 for none")
    ap.add_argument("--no-save", action="store_true",
                    help="print the results only; leave results.json and fanout.png as they are")
    args = ap.parse_args()
    deliveries = 500_000 if args.quick else 2_000_000
    args.burst_events = lambda n: max(10, deliveries // n)
    # shorty subscribers in one tree state share one deflate per event (shorty_shared), so a shorty
    # burst is as large as a plain one: a burst of a few events would measure one write per event
    args.shorty_events = args.burst_events
    args.idle = PING_INTERVAL * (1 if args.quick else 2)
    args.paced = 2.0 if args.quick else 5.0
    sizes = [int(s) for s in args.sizes.split(",") if s] or ([1000] if args.quick else [1000, 5000, 15000])
    shorty_sizes = {int(s) for s in args.shorty_sizes.split(",") if s}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the child processes on the way out
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(sizes) + 1000
    if hard < need:
        raise SystemExit(f"RLIMIT_NOFILE hard limit {hard} < {need}: raise it (ulimit -Hn) first")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the server and the client
    if args.priority:
        os.setpriority(os.PRIO_PROCESS, 0, -10)  # inherited too
    runs = []
    t0 = time.monotonic()
    code_before = server_code()
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        backend_port = free_port()
        proc = start([sys.executable, str(HERE / "backend.py"), str(backend_port)], tmp, tmp / "backend.log")
        backend = Backend(backend_port, proc.pid)
        try:
            wait_until("the backend", lambda: port_open(backend_port))
            src = 2
            for n in sizes:
                for shorty in (False, True) if n in shorty_sizes else (False,):
                    # every scenario from its own loopback address: no ephemeral-port reuse/TIME_WAIT clashes
                    r = scenario(tmp, n, shorty, backend, f"127.0.0.{src}", args)
                    src += 1
                    runs.append(r)
                    sys.stdout.write(json.dumps(r) + "\n")
                    sys.stdout.flush()
            profile = None
            if args.profile:
                p = scenario(tmp, 5000, False, backend, f"127.0.0.{src}", args, profile=True)
                profile = p.get("profile")
        finally:
            stop(proc)
    out = {"benchmark": "fanout", "quick": args.quick, "nice": os.getpriority(os.PRIO_PROCESS, 0), "event_bytes": 200, "ping_interval_s": PING_INTERVAL,
           "wall_s": round(time.monotonic() - t0, 1),
           "caddy_py": {"at_start": code_before, "at_end": server_code()}, "runs": runs, "verdicts": verdicts(runs)}
    if profile:
        out["profile_burst_5k_top"] = profile
    if not args.quick and not args.no_save:
        save("fanout", out)
        plot(HERE / "fanout.png", runs)
    return out


if __name__ == "__main__":
    result = main()
    for line in summary_lines(result):
        sys.stdout.write(line + "\n")
