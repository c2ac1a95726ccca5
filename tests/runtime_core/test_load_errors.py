"""A config that cannot load: `caddy-py run` fails with the same error chain as `caddy run`
(wrapping order, module names, Go's strict decoding of unknown fields)."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(90)

L = ["127.0.0.1:0"]
BAD_SERVERS = {
    "handler": {"listen": L, "routes": [{"handle": [{"handler": "nope"}]}]},
    "matcher": {"listen": L, "routes": [{"match": [{"nope": {}}], "handle": [{"handler": "static_response"}]}]},
    "subroute": {"listen": L, "routes": [{"handle": [{"handler": "subroute", "routes": [
        {"handle": [{"handler": "static_response"}, {"handler": "zzz"}]}]}]}]},
    "error_routes": {"listen": L, "routes": [], "errors": {"routes": [{"handle": [{"handler": "zzz"}]}]}},
    "unknown_handler_field": {"listen": L, "routes": [{"handle": [{"handler": "static_response", "bogus": 1}]}]},
    "unknown_server_field": {"listen": L, "bogus": 2},
    "unknown_route_field": {"listen": L, "routes": [{"handle": [], "bogus": 3}]},
    "unknown_subroute_field": {"listen": L, "routes": [{"handle": [{"handler": "subroute", "route": []}]}]},
}
CONFIGS = {name: {"admin": {"disabled": True}, "apps": {"http": {"servers": {"s": srv}}}}
           for name, srv in BAD_SERVERS.items()}
CONFIGS["unknown_app"] = {"admin": {"disabled": True}, "apps": {"zzz": {}}}


def caddy_error(stderr: str) -> str:
    """The message of Caddy's last error log line."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("{") and '"level":"error"' in line:
            return json.loads(line)["msg"]
    return ""


@pytest.fixture(scope="module")
def outcomes(caddy_bin, tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]]:
    """Both servers run on every config, all at once (each run only loads and exits)."""
    tmp = tmp_path_factory.mktemp("load_errors")
    env = {"HOME": str(tmp), "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
           "PATH": "/usr/bin:/bin"}

    def run(name: str, argv0: list[str]) -> subprocess.CompletedProcess:
        path = Path(tmp) / f"{name}.json"
        path.write_text(json.dumps(CONFIGS[name]))
        return subprocess.run(argv0 + ["run", "--config", str(path)], capture_output=True, text=True,
                              timeout=60, env=env if argv0[0] == caddy_bin else None, cwd=tmp)

    with ThreadPoolExecutor(8) as pool:
        futs = {name: (pool.submit(run, name, [caddy_bin]), pool.submit(run, name, [sys.executable, "-m", "caddy_py"]))
                for name in CONFIGS}
        return {name: (a.result(), b.result()) for name, (a, b) in futs.items()}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_error_chain_matches_caddy(name, outcomes):
    want, got = outcomes[name]
    assert want.returncode == got.returncode == 1
    message = caddy_error(want.stderr)
    assert message.startswith("loading initial config: loading new config: ")
    assert got.stderr.strip().splitlines()[-1] == f"Error: {message}"
