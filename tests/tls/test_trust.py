"""`caddy-py trust --print`: the root of the local CA in storage, the same one the server uses."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cryptography import x509


def run_trust(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    return subprocess.run([sys.executable, "-m", "caddy_py", "trust", *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_trust_print_creates_and_prints_the_root(tmp_path: Path) -> None:
    r = run_trust(tmp_path, "--print")
    assert r.returncode == 0, r.stderr
    stored = (tmp_path / "xdg" / "caddy" / "pki" / "authorities" / "local" / "root.crt").read_text()
    assert r.stdout == stored
    cert = x509.load_pem_x509_certificate(stored.encode())
    assert "Caddy Local Authority" in cert.subject.rfc4514_string()
    assert run_trust(tmp_path, "--print").stdout == stored  # the same CA next time


def test_trust_with_storage_from_config(tmp_path: Path) -> None:
    root = tmp_path / "store"
    cfg = tmp_path / "c.json"
    cfg.write_text('{"storage": {"module": "file_system", "root": "%s"}}' % root)
    r = run_trust(tmp_path, "--print", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (root / "pki" / "authorities" / "local" / "root.crt").read_text()


def test_trust_bad_config_is_one_error_line(tmp_path: Path) -> None:
    r = run_trust(tmp_path, "--print", "--config", str(tmp_path / "missing.json"))
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
