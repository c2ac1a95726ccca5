"""Differential harness: real `caddy adapt` versus `caddy-py adapt` on the same Caddyfile.

Both run in the same temporary directory on a file of the same name; the outcome compared is
stdout bytes (exit 0) or, on failure, the error message text (exit 1, ts stripped).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    code: int
    stdout: str
    error: str  # the message of the error log line, "" when it succeeded
    warnings: list[str]

    def same_as(self, other: "Outcome") -> bool:
        if self.code != other.code:
            return False
        if self.code == 0:
            return self.stdout == other.stdout
        return self.error == other.error


def _parse_stderr(stderr: str) -> tuple[str, list[str]]:
    error, warnings = "", []
    for line in stderr.splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("level") == "error":
            error = rec.get("msg", "")
        elif rec.get("level") == "warn":
            warnings.append(f'{rec.get("file")}:{rec.get("line")}: {rec.get("msg")}')
    return error, warnings


def run_adapt(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Outcome:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=60)
    error, warnings = _parse_stderr(p.stderr)
    if p.returncode != 0 and not error:
        error = p.stderr.strip()
    return Outcome(p.returncode, p.stdout, error, warnings)


def caddy_adapt(caddy_bin: str, cwd: Path, filename: str = "Caddyfile", env: dict[str, str] | None = None) -> Outcome:
    return run_adapt([caddy_bin, "adapt", "--config", filename, "--adapter", "caddyfile", "--pretty"], cwd, env)


def caddy_py_adapt(cwd: Path, filename: str = "Caddyfile", env: dict[str, str] | None = None) -> Outcome:
    e = dict(env or os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return run_adapt([sys.executable, "-m", "caddy_py", "adapt", "--config", filename, "--adapter", "caddyfile",
                      "--pretty"], cwd, e)


def caddy_py_adapt_inprocess(cwd: Path, filename: str = "Caddyfile") -> Outcome:
    """`caddy-py adapt --config filename --pretty` run in this process from `cwd` (fast)."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from caddy_py.commands.adapt import cmd_adapt
    from tests.adapter.corpus import chdir

    out, err = io.StringIO(), io.StringIO()
    args = type("Args", (), {"config": filename, "adapter": "caddyfile", "pretty": True, "validate": False})()
    with chdir(cwd), redirect_stdout(out), redirect_stderr(err):
        code = cmd_adapt(args)  # type: ignore[arg-type]
    error, warnings = _parse_stderr(err.getvalue())
    return Outcome(code, out.getvalue(), error, warnings)


def compare(caddy_bin: str, text: str, tmp: Path, filename: str = "Caddyfile",
            env: dict[str, str] | None = None) -> tuple[Outcome, Outcome]:
    """Write `text` to tmp/filename and adapt it with both; returns (caddy, caddy-py)."""
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / filename).write_text(text)
    return caddy_adapt(caddy_bin, tmp, filename, env), caddy_py_adapt(tmp, filename, env)


def caddy_outcomes_for(caddy_bin: str, cases: dict[str, str], root: Path, workers: int = 8) -> dict[str, Outcome]:
    """What the real caddy says for every case (name → Caddyfile text), computed once, several
    runs at a time, each in its own folder under `root` with HOME/XDG dirs kept there."""
    from concurrent.futures import ThreadPoolExecutor

    env = dict(os.environ, HOME=str(root), XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"))

    def run(name: str) -> tuple[str, Outcome]:
        folder = root / name
        folder.mkdir()
        (folder / "Caddyfile").write_text(cases[name])
        return name, caddy_adapt(caddy_bin, folder, env=env)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(run, sorted(cases)))


def assert_same_outcome(text: str, tmp: Path, want: Outcome) -> None:
    """Adapt `text` in-process from `tmp` and check it does what caddy did: the same output and
    warnings, or the same error."""
    (tmp / "Caddyfile").write_text(text)
    got = caddy_py_adapt_inprocess(tmp)
    assert got.code == want.code, (want, got)
    if want.code == 0:
        assert got.stdout == want.stdout
        assert got.warnings == want.warnings
    else:
        assert got.error == want.error
