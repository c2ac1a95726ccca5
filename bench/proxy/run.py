"""HTTP throughput: `wrk` against caddy-py and the real Caddy on the same Caddyfile.

Scenarios (one site each): `respond`, `reverse_proxy` to a small upstream (a real Caddy
`respond` site, so the upstream is never the bottleneck for either), `file_server` (a 4 KiB
file), `encode gzip` (a 2 KiB text body). The two servers run alternately, ROUNDS times, each
scenario for DURATION seconds with CONNECTIONS connections; we keep the best round of each.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from common import BENCH, caddy_binary, caddy_py_command, plot_bars, save, stop  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
SCENARIOS = ["respond", "reverse_proxy", "file_server", "encode_gzip"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)  # polling a port that is not up yet; the bench is not a test
    raise SystemExit(f"server on port {port} did not come up")


def caddyfile(ports: dict[str, int], upstream: int, root: Path) -> str:
    body = "caddy-py benchmark body line. " * 70
    return f"""{{
	admin off
	log {{
		level ERROR
	}}
}}
:{ports['respond']} {{
	respond "hello, world"
}}
:{ports['reverse_proxy']} {{
	reverse_proxy 127.0.0.1:{upstream}
}}
:{ports['file_server']} {{
	root * {root}
	file_server
}}
:{ports['encode_gzip']} {{
	encode gzip
	header Content-Type text/plain
	respond "{body}"
}}
"""


def wrk(url: str, extra: list[str] | None = None) -> dict:
    out = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", *(extra or []), url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def lat(p: str) -> float:
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": lat("50"), "p99_ms": lat("99"), "non_2xx": int(errors.group(1)) if errors else 0}


def start(cmd: list[str], cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, HOME=str(cwd), XDG_DATA_HOME=str(cwd / "data"), XDG_CONFIG_HOME=str(cwd / "config"))
    return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> dict:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    caddy = caddy_binary()
    results: dict[str, dict[str, list[dict]]] = {"caddy": {}, "caddy-py": {}}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "www").mkdir()
        (d / "www" / "file.txt").write_bytes(b"x" * 4096)
        ports = {s: free_port() for s in SCENARIOS}
        upstream_port = free_port()
        (d / "Upstream").write_text(f"{{\n\tadmin off\n}}\n:{upstream_port} {{\n\trespond \"upstream says hi\"\n}}\n")
        (d / "Caddyfile").write_text(caddyfile(ports, upstream_port, d / "www"))
        upstream = start([caddy, "run", "--config", str(d / "Upstream"), "--adapter", "caddyfile"], d)
        try:
            wait_port(upstream_port)
            servers = {"caddy": [caddy, "run", "--config", str(d / "Caddyfile"), "--adapter", "caddyfile"],
                       "caddy-py": [*caddy_py_command(), "run", "--config", str(d / "Caddyfile"), "--adapter", "caddyfile"]}
            for _ in range(ROUNDS):
                for name, cmd in servers.items():
                    p = start(cmd, d)
                    try:
                        for s in SCENARIOS:
                            wait_port(ports[s])
                        for s in SCENARIOS:
                            path = "/file.txt" if s == "file_server" else "/"
                            extra = ["-H", "Accept-Encoding: gzip"] if s == "encode_gzip" else []
                            results[name].setdefault(s, []).append(wrk(f"http://127.0.0.1:{ports[s]}{path}", extra))
                    finally:
                        stop(p)
        finally:
            stop(upstream)
    best = {name: {s: max(runs, key=lambda r: r["rps"]) for s, runs in by.items()} for name, by in results.items()}
    ratio = {s: best["caddy-py"][s]["rps"] / best["caddy"][s]["rps"] for s in SCENARIOS}
    out = {"benchmark": "proxy", "duration_s": DURATION, "rounds": ROUNDS, "connections": CONNECTIONS,
           "best": best, "ratio_caddy_py_over_caddy": ratio, "all_runs": results}
    save("proxy", out)
    plot_bars(BENCH / "proxy" / "proxy.png", f"requests/s, wrk -c{CONNECTIONS} (higher is better)", SCENARIOS,
              {n: [best[n][s]["rps"] for s in SCENARIOS] for n in best}, "requests/s")
    return out


if __name__ == "__main__":
    r = main()
    for s in SCENARIOS:
        sys.stdout.write(f"{s:>14}: caddy {r['best']['caddy'][s]['rps']:>9.0f} rps  caddy-py "
                         f"{r['best']['caddy-py'][s]['rps']:>9.0f} rps  ratio {r['ratio_caddy_py_over_caddy'][s]:.2f}\n")
