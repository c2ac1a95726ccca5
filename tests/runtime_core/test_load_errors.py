"""A config that cannot load: `caddy-py run` fails with the same error chain as `caddy run`."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)

BAD = {
    "handler": {"routes": [{"handle": [{"handler": "nope"}]}]},
    "matcher": {"routes": [{"match": [{"nope": {}}], "handle": [{"handler": "static_response"}]}]},
    "subroute": {"routes": [{"handle": [{"handler": "subroute", "routes": [
        {"handle": [{"handler": "static_response"}, {"handler": "zzz"}]}]}]}]},
    "error_routes": {"routes": [], "errors": {"routes": [{"handle": [{"handler": "zzz"}]}]}},
}


def caddy_error(stderr: str) -> str:
    """The message of Caddy's last error log line."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("{") and '"level":"error"' in line:
            return json.loads(line)["msg"]
    return ""


@pytest.mark.parametrize("name", sorted(BAD))
def test_error_chain_matches_caddy(name, caddy_bin, caddy_env, tmp_path):
    srv = {"listen": ["127.0.0.1:0"], **BAD[name]}
    cfg = tmp_path / "bad.json"
    cfg.write_text(json.dumps({"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": srv}}}}))
    want = subprocess.run([caddy_bin, "run", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=30, env=caddy_env, cwd=tmp_path)
    got = subprocess.run([sys.executable, "-m", "caddy_py", "run", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert want.returncode == got.returncode == 1
    message = caddy_error(want.stderr)
    assert message.startswith("loading initial config: ")
    assert got.stderr.strip().splitlines()[-1] == f"Error: {message}"


def test_unknown_app(caddy_bin, caddy_env, tmp_path):
    cfg = tmp_path / "bad.json"
    cfg.write_text('{"admin": {"disabled": true}, "apps": {"zzz": {}}}')
    want = subprocess.run([caddy_bin, "run", "--config", str(cfg)], capture_output=True, text=True,
                          timeout=30, env=caddy_env, cwd=tmp_path)
    got = subprocess.run([sys.executable, "-m", "caddy_py", "run", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert re.sub(r"^Error: ", "", got.stderr.strip().splitlines()[-1]) == caddy_error(want.stderr)
