"""Verdicts against the issue's targets, the plot, and the console summary."""
from __future__ import annotations

from pathlib import Path


def _run(runs: list[dict], n: int, shorty: bool) -> dict | None:
    return next((r for r in runs if r["subscribers"] == n and r["shorty"] == shorty), None)


def _verdict(target: str, value: float | None, ok: bool | None, complete: bool = True) -> dict:
    if value is None:
        return {"target": target, "measured": None, "verdict": "not measured"}
    if not complete:  # subscribers were closed or the wait ran out: the rate is not a burst's rate
        return {"target": target, "measured": value, "verdict": "incomplete run"}
    return {"target": target, "measured": value, "verdict": "met" if ok else "missed"}


def verdicts(runs: list[dict]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    p5, p15, s5 = _run(runs, 5000, False), _run(runs, 15000, False), _run(runs, 5000, True)
    v = p5["burst"]["server_cpu_us_per_delivery"] if p5 else None
    out["burst_5k_server_cpu"] = _verdict("<= 1.0 us server CPU per delivery at 5k", v, v is not None and v <= 1.0)
    v = p5["burst"]["deliveries_per_s"] if p5 else None
    out["burst_5k_rate"] = _verdict(">= 1.0M deliveries/s at 5k", v, v is not None and v >= 1_000_000,
                                    complete=not p5 or p5["burst"].get("complete", True))
    for n, run, limit in ((5000, p5, 25), (15000, p15, 75)):
        v = run["paced"]["latency_ms"].get("p99") if run and "paced" in run else None
        out[f"paced_p99_{n // 1000}k"] = _verdict(f"paced p99 <= {limit} ms at {n // 1000}k", v,
                                                  v is not None and v <= limit)
    gcs = [r["gc"]["longest_pause_ms"] for r in runs if r["subscribers"] == 15000]
    v = max(gcs) if gcs else None
    out["gc_15k"] = _verdict("no GC pause > 10 ms at 15k", v, v is not None and v <= 10)
    v = p15["rss"]["kb_per_subscriber"] if p15 else None
    out["idle_rss_15k"] = _verdict("idle RSS <= 10 KB per subscriber at 15k", v, v is not None and v <= 10)
    v = p15["keepalive"]["server_core_fraction_at_54s"] if p15 else None
    out["keepalive_15k"] = _verdict("keepalive of 15k idle subscribers < 5 % of a core (default 54 s pings)",
                                    v, v is not None and v < 0.05)
    ratio = None
    if p5 and s5 and p5["burst"]["deliveries_per_s"]:
        ratio = round(s5["burst"]["deliveries_per_s"] / p5["burst"]["deliveries_per_s"], 4)
    out["shorty_5k"] = _verdict("shorty >= 25 % of uncompressed deliveries/s at 5k", ratio,
                                ratio is not None and ratio >= 0.25,
                                complete=not s5 or s5["burst"].get("complete", True))
    return out


def plot(path: Path, runs: list[dict]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted({r["subscribers"] for r in runs})
    labels = [f"{n // 1000}k" for n in sizes]
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    panels = [
        ("deliveries/s (burst)", lambda r: r["burst"]["deliveries_per_s"], True, 1_000_000),
        ("server CPU µs / delivery (burst)", lambda r: r["burst"]["server_cpu_us_per_delivery"], True, 1.0),
        ("paced p99 latency, ms", lambda r: r.get("paced", {}).get("latency_ms", {}).get("p99", 0), False, None),
    ]
    for ax, (title, get, both, target) in zip(axes, panels):
        kinds = [False, True] if both else [False]
        width = 0.8 / len(kinds)
        for i, shorty in enumerate(kinds):
            vals = [get(_run(runs, n, shorty)) if _run(runs, n, shorty) else 0 for n in sizes]
            ax.bar([x + i * width for x in range(len(sizes))], vals, width, label="shorty" if shorty else "plain")
        ax.set_xticks([x + width * (len(kinds) - 1) / 2 for x in range(len(sizes))], labels)
        ax.set_xlabel("subscribers")
        ax.set_title(title)
        if target is not None:
            ax.axhline(target, color="grey", linestyle="--", linewidth=1, label="target")
        if title.startswith("server CPU") or title.startswith("deliveries"):
            ax.set_yscale("log")
        ax.legend(fontsize=8)
    fig.suptitle("caddy-py websocket_notifier fan-out (200-byte events, loopback, 2 cores)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def summary_lines(result: dict) -> list[str]:
    lines = []
    for r in result["runs"]:
        b = r["burst"]
        lat = r.get("paced", {}).get("latency_ms", {})
        lines.append(
            f"{r['subscribers']:>6} {'shorty' if r['shorty'] else 'plain ':6} "
            f"{b['deliveries_per_s']:>10,}/s  server {b['server_cpu_us_per_delivery']:.3f} µs/dlv  "
            f"system {b['system_cpu_us_per_delivery']:.3f}  client {b['client_cpu_us_per_delivery']:.3f}  "
            f"p50/p99/max {lat.get('p50', 0):.1f}/{lat.get('p99', 0):.1f}/{lat.get('max', 0):.1f} ms  "
            f"rss {r['rss']['kb_per_subscriber']} KB/sub  gc {r['gc']['longest_pause_ms']:.1f} ms  "
            f"setup {r['setup']['connections_per_s']:.0f}/s  "
            f"keepalive@54s {r.get('keepalive', {}).get('server_core_fraction_at_54s', 0):.4f}  "
            f"closed {r['client_end']['closes']}")
    for name, v in result["verdicts"].items():
        lines.append(f"{name:>22}: {v['verdict']:>12}  ({v['measured']})  {v['target']}")
    return lines
