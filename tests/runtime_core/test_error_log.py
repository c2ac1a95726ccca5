"""Handler errors reach `http.log.error` through the server the way Caddy logs them: ERROR for an
unhandled 5xx, DEBUG once the error routes answered it, with the same fields in the same order."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.runtime_core.conftest import respond
from tests.runtime_core.diff import Pair


def _config(port: int, log_file: Path, error_routes: bool) -> dict[str, Any]:
    server: dict[str, Any] = {
        "listen": [f"127.0.0.1:{port}"],
        "routes": [{"match": [{"path": ["/fail"]}], "handle": [
            {"handler": "error", "status_code": 502, "error": "boom"}]}, {"handle": [respond("ok")]}],
        "logs": {},
    }
    if error_routes:
        server["errors"] = {"routes": [{"handle": [respond("sorry", 503)]}]}
    return {
        "logging": {"logs": {
            "default": {"writer": {"output": "discard"}},
            "errs": {"writer": {"output": "file", "filename": str(log_file)}, "level": "DEBUG",
                     "include": ["http.log.error"]},
        }},
        "apps": {"http": {"servers": {"srv0": server}}},
    }


def _comparable(e: dict[str, Any]) -> dict[str, Any]:
    e = dict(e)
    assert isinstance(e.pop("ts"), float) and isinstance(e.pop("duration"), float)
    e.pop("err_id"), e.pop("err_trace")  # a random id; the Go function that raised it
    e["request"] = {k: v for k, v in e["request"].items() if k != "remote_port"}
    e["request"]["host"] = e["request"]["host"].rsplit(":", 1)[0]
    return e


@pytest.mark.parametrize("error_routes", [False, True])
async def test_error_entries_match_caddy(caddy_bin, caddy_env, tmp_path, error_routes):
    async with Pair(caddy_bin, tmp_path, caddy_env,
                    lambda port: _config(port, tmp_path / f"err-{port}.log", error_routes)) as pair:
        statuses = {}
        for name, port in pair.ports.items():
            # one keep-alive connection: the second answer comes after the first entry is written
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as s:
                async with s.get(f"http://127.0.0.1:{port}/fail?x=1", headers={"X-A": "1"}) as r:
                    statuses[name] = r.status
                    await r.read()
                async with s.get(f"http://127.0.0.1:{port}/") as r:
                    await r.read()
        logs = {name: [json.loads(line) for line in (tmp_path / f"err-{port}.log").read_text().splitlines()]
                for name, port in pair.ports.items()}
    assert statuses["py"] == statuses["caddy"] == (503 if error_routes else 502)
    want, got = logs["caddy"], logs["py"]
    assert len(got) == len(want) == 1
    assert got[0]["level"] == ("debug" if error_routes else "error")
    assert list(got[0]) == list(want[0])
    assert _comparable(got[0]) == _comparable(want[0])
