"""Logging: access log entries written by a file writer (compared with the real caddy's), logger
name routing with include/exclude, skip_hosts / logger_names, encoders and levels."""
from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest

from caddy_py import logging as caddy_logging
from caddy_py.config.context import ConfigError
from caddy_py.logging import CustomLog, LoggingApp
from caddy_py.logs.encoders import ConsoleEncoder, Duration, JSONEncoder, go_duration_string
from caddy_py.logs.writers import StreamWriter
from tests.runtime_core.conftest import respond
from tests.runtime_core.diff import Pair
from tests.runtime_handlers.differ import start_upstream

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(autouse=True)
def _restore_default_logs():
    yield
    caddy_logging.apply(None)


def _config(port: int, log_file: Path, server_logs: dict[str, Any], routes: list[dict] | None = None,
            logs: dict[str, Any] | None = None) -> dict[str, Any]:
    routes = routes or [{"handle": [respond("hello", 201)]}]
    return {
        "admin": {"disabled": True},
        "logging": {"logs": logs or {
            "default": {"exclude": ["http.log.access.log0"], "writer": {"output": "discard"}},
            "log0": {"writer": {"output": "file", "filename": str(log_file)}, "include": ["http.log.access.log0"]},
        }},
        "apps": {"http": {"servers": {"srv0": {"listen": [f"127.0.0.1:{port}"], "routes": routes,
                                                "logs": server_logs}}}},
    }


async def _requests_then_barrier(port: int, reqs: list[tuple[str, str, dict[str, str], bytes]], host: str = "") -> None:
    """Send `reqs` and one more over a single keep-alive connection: a server handles one request
    of a connection at a time, so every entry but the barrier's is written once it answers."""
    conn = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=conn) as s:
        for method, path, headers, body in reqs + [("GET", "/barrier", {}, b"")]:
            async with s.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, data=body or None) as r:
                await r.read()


def _entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if '"/barrier"' not in line]


REQS = [
    ("GET", "/p?q=1", {"Cookie": "a=b", "X-Foo": "1", "Authorization": "Basic eDp5"}, b""),
    ("POST", "/post", {"Content-Type": "text/plain"}, b"abc"),
    ("GET", "/auth", {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}, b""),
    ("GET", "/auth", {}, b""),
    ("HEAD", "/p", {}, b""),
]
AUTH_ROUTE = {"match": [{"path": ["/auth"]}], "terminal": True, "handle": [
    {"handler": "authentication", "providers": {"http_basic": {"accounts": [
        {"username": "alice", "password": bcrypt.hashpw(b"pw", bcrypt.gensalt(4)).decode()}]}}},
    respond("in")]}


def _comparable(e: dict[str, Any]) -> dict[str, Any]:
    e = dict(e)
    assert isinstance(e.pop("ts"), float) and isinstance(e.pop("duration"), float)
    e["request"] = {k: v for k, v in e["request"].items() if k != "remote_port"}
    e["request"]["host"] = e["request"]["host"].rsplit(":", 1)[0]  # each server has its own port
    return e


async def test_access_log_entries_match_caddy(caddy_bin, caddy_env, tmp_path):
    def make(port: int) -> dict[str, Any]:
        return _config(port, tmp_path / f"access-{port}.log", {"default_logger_name": "log0"},
                       [AUTH_ROUTE, {"handle": [respond("hello", 201)]}])

    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        for port in pair.ports.values():
            await _requests_then_barrier(port, REQS)
        want = _entries(tmp_path / f"access-{pair.ports['caddy']}.log")
        got = _entries(tmp_path / f"access-{pair.ports['py']}.log")
    assert len(want) == len(got) == 5
    for w, g in zip(want, got):
        assert list(g) == list(w)  # same keys in the same order
        assert _comparable(g) == _comparable(w)
    assert got[0]["request"]["headers"]["Cookie"] == ["REDACTED"]
    assert got[0]["logger"] == "http.log.access.log0" and got[0]["status"] == 201
    assert (got[2]["user_id"], got[2]["status"], got[3]["status"]) == ("alice", 200, 401)


FILTERED = {
    "format": "filter",
    "wrap": {"format": "append", "fields": {"app": "demo", "n": 3, "home": "{env.HOME}"}},
    "fields": {
        "request>headers>Cookie": {"filter": "cookie", "actions": [
            {"type": "replace", "name": "a", "value": "X"}, {"type": "hash", "name": "b"},
            {"type": "delete", "name": "c"}]},
        "request>remote_ip": {"filter": "ip_mask", "ipv4_cidr": 16, "ipv6_cidr": 32},
        "request>client_ip": {"filter": "replace", "value": "hidden"},
        "request>uri": {"filter": "query", "actions": [{"type": "delete", "parameter": "q"},
                                                       {"type": "hash", "parameter": "h"},
                                                       {"type": "replace", "parameter": "r", "value": "R"}]},
        "request>headers>User-Agent": {"filter": "regexp", "regexp": "([a-z]+)/[0-9.]+", "value": "$1/x"},
        "request>headers>X-Secret": {"filter": "hash"},
        "request>headers>Accept": {"filter": "delete"},
        "resp_headers>Set-Cookie": {"filter": "set_cookie", "actions": [
            {"type": "replace", "name": "sid", "value": "S"}, {"type": "delete", "name": "gone"}]},
        "status": {"filter": "rename", "name": "code"},
    },
}


async def test_filter_and_append_encoders_match_caddy(caddy_bin, caddy_env, tmp_path):
    routes = [{"handle": [respond("c", headers={"Set-Cookie": ["sid=abc; Path=/", "gone=1", "keep=2"]})]}]

    def make(port: int) -> dict[str, Any]:
        f = tmp_path / f"filtered-{port}.log"
        logs = {"default": {"writer": {"output": "discard"}},
                "log0": {"writer": {"output": "file", "filename": str(f)}, "encoder": FILTERED,
                         "include": ["http.log.access.log0"]}}
        return _config(port, f, {"default_logger_name": "log0", "should_log_credentials": True}, routes, logs)

    reqs = [("GET", "/p?q=1&h=s&r=1&z=2", {"Cookie": "a=1; b=2; c=3", "X-Secret": "pw",
                                           "User-Agent": "probe/1.2.3"}, b"")]
    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        for port in pair.ports.values():
            await _requests_then_barrier(port, reqs)
        want = _entries(tmp_path / f"filtered-{pair.ports['caddy']}.log")
        got = _entries(tmp_path / f"filtered-{pair.ports['py']}.log")
    assert len(got) == len(want) == 1
    appended = {"app", "n", "home"}  # Go ranges over a map to append them: any order
    assert [k for k in got[0] if k not in appended] == [k for k in want[0] if k not in appended]
    assert _comparable(got[0]) == _comparable(want[0])
    assert got[0]["request"]["headers"]["Cookie"] == ["a=X; b=d4735e3a"]


async def test_log_append_fields_match_caddy(caddy_bin, caddy_env, tmp_path):
    routes = [{"handle": [
        {"handler": "vars", "myvar": "from-var"},
        {"handler": "log_append", "key": "method", "value": "{http.request.method}"},
        {"handler": "log_append", "key": "v", "value": "myvar"},
        {"handler": "log_append", "key": "lit", "value": "plain text"},
        {"handler": "log_append", "key": "body", "value": "{http.response.body}"},
        {"handler": "log_append", "key": "b64", "value": "{http.response.body_base64}"},
        respond("the body"),
    ]}]

    def make(port: int) -> dict[str, Any]:
        return _config(port, tmp_path / f"append-{port}.log", {"default_logger_name": "log0"}, routes)

    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        for port in pair.ports.values():
            await _requests_then_barrier(port, [("PUT", "/x", {}, b"")])
        want = _entries(tmp_path / f"append-{pair.ports['caddy']}.log")
        got = _entries(tmp_path / f"append-{pair.ports['py']}.log")
    assert _comparable(got[0]) == _comparable(want[0])
    assert (got[0]["method"], got[0]["v"], got[0]["body"]) == ("PUT", "from-var", "the body")


async def test_proxied_entries_count_body_bytes_like_caddy(caddy_bin, caddy_env, tmp_path):
    from aiohttp import web

    async def upstream(request: web.Request) -> web.StreamResponse:
        data = await request.read()
        if request.path == "/chunked":
            resp = web.StreamResponse(headers={"X-Up": "1"})
            await resp.prepare(request)
            await resp.write(b"a" * 100)
            await resp.write(b"b" * 50)
            await resp.write_eof()
            return resp
        return web.Response(text=f"read {len(data)}")

    runner, up = await start_upstream(upstream)
    proxy = [{"handle": [{"handler": "reverse_proxy", "upstreams": [{"dial": f"127.0.0.1:{up}"}]}]}]

    def make(port: int) -> dict[str, Any]:
        return _config(port, tmp_path / f"proxy-{port}.log", {"default_logger_name": "log0"}, proxy)

    try:
        async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
            reqs = [("POST", "/up", {}, b"x" * 1234), ("GET", "/chunked", {}, b""), ("HEAD", "/up", {}, b"")]
            for port in pair.ports.values():
                await _requests_then_barrier(port, reqs)
            want = _entries(tmp_path / f"proxy-{pair.ports['caddy']}.log")
            got = _entries(tmp_path / f"proxy-{pair.ports['py']}.log")
    finally:
        await runner.cleanup()
    # a chunked body's size needs the server to count written bytes (resp.caddy_body_size), so
    # only its other fields are compared
    pick = lambda e: (e["request"]["method"], e["bytes_read"], e["status"],  # noqa: E731
                      None if e["request"]["uri"] == "/chunked" else e["size"])
    assert [pick(e) for e in got] == [pick(e) for e in want]
    assert [pick(e) for e in got] == [("POST", 1234, 200, 9), ("GET", 0, 200, None), ("HEAD", 0, 200, 0)]
    assert want[1]["size"] == 150


async def test_credentials_logger_names_and_skip_hosts(serve, tmp_path):
    log_file = tmp_path / "a.log"
    server_logs = {"default_logger_name": "log0", "should_log_credentials": True,
                   "logger_names": {"mapped.test": ["log1"], "*.wild.test": "log0"},
                   "skip_hosts": ["skipped.test"]}
    logs = {"default": {"writer": {"output": "discard"}},
            "log0": {"writer": {"output": "file", "filename": str(log_file)}, "include": ["http.log.access"]}}
    s = await serve(_config(0, log_file, server_logs, logs=logs))
    reqs = [("GET", "/cred", {"Cookie": "c=d"}, b""), ("GET", "/mapped", {"Host": "mapped.test"}, b""),
            ("GET", "/skipped", {"Host": "skipped.test"}, b""), ("GET", "/wild", {"Host": "a.wild.test:80"}, b"")]
    await _requests_then_barrier(s.port, reqs)
    entries = {e["request"]["uri"]: e for e in _entries(log_file)}
    assert entries["/cred"]["request"]["headers"]["Cookie"] == ["c=d"]
    assert entries["/cred"]["logger"] == "http.log.access.log0"
    assert entries["/mapped"]["logger"] == "http.log.access.log1"
    assert entries["/wild"]["logger"] == "http.log.access.log0"
    assert "/skipped" not in entries


async def test_log_skip_and_log_name_vars(serve, tmp_path):
    log_file = tmp_path / "v.log"
    logs = {"default": {"writer": {"output": "discard"}},
            "all": {"writer": {"output": "file", "filename": str(log_file)}, "include": ["http.log.access"]}}
    routes = [
        {"match": [{"path": ["/skip"]}], "handle": [{"handler": "vars", "log_skip": True}, respond("s")]},
        {"match": [{"path": ["/named"]}], "handle": [{"handler": "vars", "access_logger_names": ["a", "b"]},
                                                    respond("n")]},
        {"handle": [respond("d")]},
    ]
    s = await serve(_config(0, log_file, {"default_logger_name": "log0"}, routes, logs))
    await _requests_then_barrier(s.port, [("GET", "/skip", {}, b""), ("GET", "/named", {}, b""),
                                          ("GET", "/plain", {}, b"")])
    assert [(e["request"]["uri"], e["logger"]) for e in _entries(log_file)] == [
        ("/named", "http.log.access.a"), ("/named", "http.log.access.b"), ("/plain", "http.log.access.log0")]


async def test_levels_and_excludes_decide_what_is_written(serve, tmp_path):
    log_file = tmp_path / "errors.log"
    logs = {"default": {"writer": {"output": "discard"}},
            "errs": {"writer": {"output": "file", "filename": str(log_file)}, "level": "ERROR",
                     "include": ["http.log.access"], "exclude": ["http.log.access.quiet"]}}
    routes = [{"match": [{"path": ["/fail"]}], "handle": [respond("no", 503)]}, {"handle": [respond("ok")]}]
    s = await serve(_config(0, log_file, {"default_logger_name": "loud",
                                          "logger_names": {"quiet.test": "quiet"}}, routes, logs))
    await _requests_then_barrier(s.port, [("GET", "/fine", {}, b""), ("GET", "/fail", {}, b""),
                                          ("GET", "/fail", {"Host": "quiet.test"}, b"")])
    entries = _entries(log_file)
    assert [(e["level"], e["request"]["uri"], e["logger"]) for e in entries] == \
        [("error", "/fail", "http.log.access.loud")]


def test_namespace_rules_follow_caddy():
    def allowed(include, exclude, name):
        return CustomLog("t", StreamWriter("stderr"), JSONEncoder(), logging.INFO, include, exclude).allowed(name)

    assert allowed([], [], "anything")
    assert allowed(["http"], [], "http.log.access") and not allowed(["http"], [], "admin")
    assert not allowed([], ["http.log.access"], "http.log.access.log0")
    assert allowed([], ["http.log.access"], "http.handlers.x")
    # the longer (more specific) prefix wins
    assert allowed(["http.log.access.log0"], ["http.log"], "http.log.access.log0")
    assert not allowed(["http"], ["http.log.access"], "http.log.access.log1")
    assert not allowed([], ["*"], "tls")


def test_include_exclude_must_nest():
    with pytest.raises(ConfigError, match="setting up custom log 'x': include and exclude must not intersect"):
        LoggingApp.from_json({"logs": {"x": {"include": ["a"], "exclude": ["a"]}}})
    with pytest.raises(ConfigError, match="check 'a' in include"):
        LoggingApp.from_json({"logs": {"x": {"include": ["a"], "exclude": ["b"]}}})
    with pytest.raises(ConfigError, match="unrecognized log level: loud"):
        LoggingApp.from_json({"logs": {"x": {"level": "loud"}}})
    with pytest.raises(ConfigError, match="caddy.logging.writers.net"):
        LoggingApp.from_json({"logs": {"x": {"writer": {"output": "net"}}}})


def test_encoders_use_zap_layouts():
    ts = 1700000000.5
    line = JSONEncoder().encode("info", ts, "http.x", "hi", {"d": Duration(0.0000125), "n": None, "l": ["a"]})
    assert line == '{"level":"info","ts":1700000000.5,"logger":"http.x","msg":"hi","d":0.0000125,"n":null,"l":["a"]}\n'
    custom = JSONEncoder({"message_key": "message", "time_format": "rfc3339", "duration_format": "ms"})
    assert custom.encode("warn", ts, "", "m", {"d": Duration(0.25)}) == \
        '{"level":"warn","ts":"2023-11-14T22:13:20Z","message":"m","d":250}\n'
    class Named:
        def __str__(self) -> str:
            return "named"

    assert JSONEncoder().encode("info", 2.0, "", "m", {"a": 1e-7, "b": 2.0, "n": {"f": 1.5}, "o": Named(),
                                                     "s": "x\x00\x010\x00\x01y"}) == \
        '{"level":"info","ts":2,"msg":"m","a":0.0000001,"b":2,"n":{"f":1.5},"o":"named","s":"x\\u0000\\u00010\\u0000\\u0001y"}\n'
    console = ConsoleEncoder({"level_format": "upper"})
    assert console.encode("error", ts, "tls", "bad", {"k": 1, "l": [1, 2]}) == \
        "2023/11/14 22:13:20.500\tERROR\ttls\tbad\t{\"k\": 1, \"l\": [1, 2]}\n"
    assert go_duration_string(0.0015) == "1.5ms" and go_duration_string(125.5) == "2m5.5s"


def test_file_writer_rolls_and_keeps_backups(tmp_path):
    path = tmp_path / "roll.log"
    caddy_logging.apply({"logs": {"default": {"writer": {"output": "discard"}},
                                        "r": {"writer": {"output": "file", "filename": str(path), "roll_size_mb": 1,
                                                         "roll_keep": 2, "roll_gzip": False}}}})
    big = "x" * 4000
    for i in range(800):  # ~3.2 MB through a 1 MB roll size
        caddy_logging.log("roll.test", logging.INFO, big, i=i)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roll.log", "roll.log.1", "roll.log.2"]
    assert path.stat().st_size <= 1024 * 1024
    last = json.loads(path.read_text().splitlines()[-1])
    assert (last["logger"], last["i"]) == ("roll.test", 799)


async def test_error_entries_have_caddys_shape(caddy_bin, caddy_env, tmp_path):
    """`log_error` (for the server core) writes what caddy writes for a 5xx handler error."""
    from aiohttp import web

    from caddy_py.http.handler import HandlerError
    from caddy_py.http.request import Request
    from caddy_py.logs.access import ServerLogs, log_error
    from caddy_py.replacer import Replacer

    def logs_cfg(path: Path) -> dict[str, Any]:
        return {"logs": {"default": {"writer": {"output": "discard"}},
                         "errs": {"writer": {"output": "file", "filename": str(path)}, "include": ["http.log.error"]}}}

    want_file = tmp_path / "caddy-errors.log"

    def make(port: int) -> dict[str, Any]:
        cfg = _config(port, want_file, {"default_logger_name": "log0"},
                      [{"handle": [{"handler": "error", "status_code": 502, "error": "boom"}]}])
        cfg["logging"] = logs_cfg(want_file)
        return cfg

    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        await _requests_then_barrier(pair.ports["caddy"], [("GET", "/e?x=1", {"X-A": "1"}, b"")])
    want = [json.loads(line) for line in want_file.read_text().splitlines() if '"/barrier"' not in line]

    got_file = tmp_path / "py-errors.log"
    caddy_logging.apply(logs_cfg(got_file))
    server_logs = ServerLogs.from_json({"default_logger_name": "log0"})

    async def handler(raw: web.Request) -> web.Response:
        if raw.path != "/barrier":
            log_error(server_logs, Request(raw, Replacer()), HandlerError(502, "boom", err_id="id", trace="t"), 0.001)
        return web.Response(status=502)

    runner, port = await start_upstream(handler)
    try:
        await _requests_then_barrier(port, [("GET", "/e?x=1", {"X-A": "1"}, b"")])
    finally:
        await runner.cleanup()
    got = [json.loads(line) for line in got_file.read_text().splitlines()]
    assert len(got) == len(want) == 1
    assert list(got[0]) == list(want[0])
    for e in (got[0], want[0]):
        e["err_id"] = e["err_trace"] = None
    assert _comparable(got[0]) == _comparable(want[0])


async def test_console_lines_match_caddy(caddy_bin, caddy_env, tmp_path):
    import re

    def make(port: int) -> dict[str, Any]:
        f = tmp_path / f"console-{port}.log"
        logs = {"default": {"writer": {"output": "discard"}},
                "c": {"writer": {"output": "file", "filename": str(f)}, "encoder": {"format": "console"},
                      "include": ["http.log.access"]}}
        return _config(port, f, {}, None, logs)

    async with Pair(caddy_bin, tmp_path, caddy_env, make) as pair:
        for port in pair.ports.values():
            await _requests_then_barrier(port, [("GET", "/c?x=1", {"X-A": "1"}, b"")])
        lines = {name: (tmp_path / f"console-{port}.log").read_text().splitlines()[0]
                 for name, port in pair.ports.items()}

    def norm(line: str) -> list[str]:
        cols = line.split("\t")
        assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{3}", cols[0])
        fields = re.sub(r'"(remote_port|duration)": [^,]+', r'"\1": X', cols[4])
        fields = re.sub(r'"host": "127\.0\.0\.1:\d+"', '"host": H', fields)
        return cols[1:4] + [json.dumps(json.loads(fields.replace(": X", ": 0").replace(": H", ': ""')),
                                       sort_keys=True), fields.count(", "), fields.count(": ")]

    assert norm(lines["py"]) == norm(lines["caddy"])


def test_python_records_route_by_caddy_names(tmp_path):
    """Ordinary `logging` calls reach the configured logs; foreign libraries' debug chatter does not."""
    path = tmp_path / "debug.log"
    caddy_logging.install()
    caddy_logging.apply({"logs": {"default": {"writer": {"output": "discard"}},
                                  "d": {"level": "DEBUG", "writer": {"output": "file", "filename": str(path)},
                                        "exclude": ["http.log.access"]}}})
    logging.getLogger("asyncio").debug("Using selector: EpollSelector")
    logging.getLogger("http.handlers.test").debug("step %s", 1, extra={"caddy_fields": {"k": "v"}})
    logging.getLogger("http.log.access.x").info("excluded")
    try:
        raise ValueError("bad thing")
    except ValueError:
        logging.getLogger("caddy").exception("failed")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["level"], e.get("logger"), e["msg"]) for e in lines] == [
        ("debug", "http.handlers.test", "step 1"), ("error", None, "failed")]
    assert lines[0]["k"] == "v" and lines[1]["error"] == "bad thing"
