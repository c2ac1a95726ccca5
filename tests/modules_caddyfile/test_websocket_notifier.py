"""websocket_notifier's Caddyfile parser. The real caddy does not know this plugin, so the
expected JSON is written by hand from the Go module's struct (criyle/caddy-notifier module.go);
its header_up/header_down output is compared with what the real caddy makes of the same lines
under reverse_proxy."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.adapter.oracle import caddy_adapt, caddy_py_adapt, caddy_py_adapt_inprocess
from tests.modules_caddyfile.cases_proxy import site

ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000_000


def adapt(tmp_path: Path, text: str) -> dict:
    (tmp_path / "Caddyfile").write_text(text)
    out = caddy_py_adapt_inprocess(tmp_path)
    assert out.code == 0, out.error
    return json.loads(out.stdout)


def adapt_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "Caddyfile").write_text(text)
    out = caddy_py_adapt_inprocess(tmp_path)
    assert out.code == 1 and out.stdout == ""
    return out.error


def site_handlers(cfg: dict) -> list[dict]:
    """Every handler of the first server's routes, in order (subroutes flattened)."""
    found: list[dict] = []

    def walk(routes: list[dict]) -> None:
        for r in routes:
            for h in r.get("handle", []):
                if h["handler"] == "subroute":
                    walk(h.get("routes", []))
                else:
                    found.append(h)

    walk(next(iter(cfg["apps"]["http"]["servers"].values()))["routes"])
    return found


def notifier(cfg: dict) -> dict:
    (h,) = [h for h in site_handlers(cfg) if h["handler"] == "websocket_notifier"]
    return h


EXAMPLE_HANDLER = {
    "chan_size": 16,
    "channel_category": [{"category": "clock", "match": "time"}, {"category": "other", "match": ".*"}],
    "handler": "websocket_notifier",
    "headers": {"request": {"add": {"X-Notifier": ["caddy-py"]}}},
    "keep_alive": 30 * S,
    "max_channels_per_connection": 64,
    "max_connections": 1000,
    "max_event_buffer_size": 1024,
    "max_message_size": 256000,
    "max_pending_subscribes": 16,
    "max_requests_per_second": 20,
    "metadata": {"remote_host": "{http.request.remote.host}", "ua": "{http.request.header.user-agent}"},
    "ping_interval": 50 * S,
    "ping_type": "text",
    "pong_wait": 60 * S,
    "recover_wait": 5 * S,
    "request_burst": 40,
    "shorty_reset_count": 1000,
    "subscribe_retries": 3,
    "subscribe_try_interval": 2 * S,
    "upstream": "ws://localhost:6081/ws",
    "write_wait": 10 * S,
}


def test_caddyfile_example(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    """`caddy-py adapt --config Caddyfile.example` (the real command, from the repo root) prints
    the JSON the Go module would produce: the notifier handler as written by hand, the rest as
    the real caddy adapts the same file with the notifier block swapped for a marker `respond`."""
    out = caddy_py_adapt(ROOT, "Caddyfile.example")
    assert out.code == 0, out.error
    text = (ROOT / "Caddyfile.example").read_text()
    block = re.search(r"^(\t+)websocket_notifier .*?^\1}\n", text, re.M | re.S)
    assert block is not None
    marked = text.replace(block.group(0), f'{block.group(1)}respond "NOTIFIER"\n')
    (tmp_path / "Caddyfile.example").write_text(marked)  # same name: file_server hides the config file
    real = caddy_adapt(caddy_bin, tmp_path, "Caddyfile.example", env=caddy_env)
    assert real.code == 0, real.error
    marker = {"body": "NOTIFIER", "handler": "static_response"}

    def swap(node: object) -> object:
        if node == marker:
            return EXAMPLE_HANDLER
        if isinstance(node, dict):
            return {k: swap(v) for k, v in node.items()}
        if isinstance(node, list):
            return [swap(v) for v in node]
        return node

    expected = swap(json.loads(real.stdout))
    assert json.dumps(expected).count('"websocket_notifier"') == 1
    assert json.loads(out.stdout) == expected
    # printed as Go prints a handler module: keys sorted
    orders: list[list[str]] = []
    json.loads(out.stdout, object_pairs_hook=lambda pairs: orders.append([k for k, _ in pairs]) or dict(pairs))
    assert sorted(EXAMPLE_HANDLER) in orders


def test_minimal_omits_empty_fields(tmp_path: Path) -> None:
    cfg = adapt(tmp_path, site("\twebsocket_notifier wss://backend:9000/ws\n"))
    assert notifier(cfg) == {"handler": "websocket_notifier", "upstream": "wss://backend:9000/ws"}


def test_values_and_sizes(tmp_path: Path) -> None:
    body = ("\twebsocket_notifier ws://b/ws {\n\t\tmax_message_size 256KiB\n\t\tcompression permessage-deflate\n"
            "\t\tping_type control\n\t\tpong_wait 2m\n\t\tping_interval 1m\n\t\twrite_wait 1d\n"
            "\t\tmetadata k v\n\t\tchannel_category ^a a\n\t}\n")
    # write_wait 1d > ping_interval: rejected on effective values
    assert "write_wait > ping_interval: 86400000000000 > 60000000000" in adapt_error(tmp_path, site(body))
    cfg = adapt(tmp_path, site(body.replace("write_wait 1d", "write_wait 30s")))
    assert notifier(cfg) == {
        "channel_category": [{"category": "a", "match": "^a"}],
        "compression": "permessage-deflate",
        "handler": "websocket_notifier",
        "max_message_size": 262144,
        "metadata": {"k": "v"},
        "ping_interval": 60 * S,
        "ping_type": "control",
        "pong_wait": 120 * S,
        "upstream": "ws://b/ws",
        "write_wait": 30 * S,
    }


def test_resource_limits(tmp_path: Path) -> None:
    """§11 limits are written as given, 0 included (it disables a limit whose default is not 0)."""
    body = ("\twebsocket_notifier ws://b/ws {\n\t\tmax_channels_per_connection 0\n\t\tmax_pending_subscribes 8\n"
            "\t\tmax_requests_per_second 0\n\t\trequest_burst 0\n\t\tmax_connections 500\n\t}\n")
    assert notifier(adapt(tmp_path, site(body))) == {
        "handler": "websocket_notifier", "upstream": "ws://b/ws", "max_channels_per_connection": 0,
        "max_pending_subscribes": 8, "max_requests_per_second": 0, "request_burst": 0, "max_connections": 500}


def test_ordered_after_file_server(tmp_path: Path) -> None:
    cfg = adapt(tmp_path, site("\twebsocket_notifier ws://b/ws\n\tfile_server\n\treverse_proxy /api/* a:1\n"))
    assert [h["handler"] for h in site_handlers(cfg)] == ["reverse_proxy", "file_server", "websocket_notifier"]


def test_header_ops_match_reverse_proxy(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    lines = ("\t\theader_up Host {upstream_hostport}\n\t\theader_up +X-A a\n\t\theader_up -X-B\n"
             "\t\theader_up x-c ^a b\n\t\theader_down -Server\n\t\theader_down +Via caddy\n\t\theader_down X-R a b\n")
    (tmp_path / "Caddyfile").write_text(site(f"\treverse_proxy a:1 {{\n{lines}\t}}\n"))
    real = caddy_adapt(caddy_bin, tmp_path, env=caddy_env)
    assert real.code == 0, real.error
    (proxy,) = site_handlers(json.loads(real.stdout))
    cfg = adapt(tmp_path, site(f"\twebsocket_notifier ws://b/ws {{\n{lines}\t}}\n"))
    assert notifier(cfg)["headers"] == proxy["headers"]


@pytest.mark.parametrize("body, message", [
    ("\twebsocket_notifier\n", "wrong argument count or unexpected line ending after 'websocket_notifier'"),
    ("\twebsocket_notifier http://b/ws\n", "bad websocket scheme, must be ws or wss: http"),
    ("\twebsocket_notifier localhost:6081\n", "bad websocket scheme, must be ws or wss: localhost"),
    ("\twebsocket_notifier ws://b {\n\t\tbogus 1\n\t}\n", "unrecognized subdirective bogus"),
    ("\twebsocket_notifier ws://b {\n\t\tmetadata a 1\n\t\tmetadata a 2\n\t}\n", "duplicated metadata key: a"),
    ("\twebsocket_notifier ws://b {\n\t\tmetadata a\n\t}\n", "wrong argument count"),
    ("\twebsocket_notifier ws://b {\n\t\tchannel_category a\n\t}\n", "wrong argument count"),
    ("\twebsocket_notifier ws://b {\n\t\twrite_wait soon\n\t}\n", 'bad duration value soon: time: invalid duration "soon"'),
    ("\twebsocket_notifier ws://b {\n\t\tmax_message_size big\n\t}\n", "bad size value big:"),
    ("\twebsocket_notifier ws://b {\n\t\tchan_size x\n\t}\n", 'bad size value x: strconv.Atoi: parsing "x": invalid syntax'),
    ("\twebsocket_notifier ws://b {\n\t\tsubscribe_retries x\n\t}\n", "bad subscribe_retries value x"),
    ("\twebsocket_notifier ws://b {\n\t\tshorty_reset_count x\n\t}\n", "bad shorty_reset_count value x"),
    ("\twebsocket_notifier ws://b {\n\t\tping_interval 70s\n\t}\n", "ping_interval > pong_wait: 70000000000 > 60000000000"),
    ("\twebsocket_notifier ws://b {\n\t\tping_interval 60s\n\t}\n", "ping_interval >= pong_wait"),
    ("\twebsocket_notifier ws://b {\n\t\tpong_wait 30s\n\t\tping_interval 20s\n\t\twrite_wait 25s\n\t}\n",
     "write_wait > ping_interval: 25000000000 > 20000000000"),
    ("\twebsocket_notifier ws://b {\n\t\tcompression gzip\n\t}\n", "bad compression value: gzip"),
    ("\twebsocket_notifier ws://b {\n\t\tping_type binary\n\t}\n", "bad ping type value: binary"),
    ("\twebsocket_notifier ws://b {\n\t\tsubscribe_retries 3\n\t}\n",
     "subscribe_retries > 0 while subscribe_try_interval not set: 3 0"),
    ("\twebsocket_notifier ws://b {\n\t\theader_up ?X a\n\t}\n", "the default header modifier ('?') can only be used"),
    ("\twebsocket_notifier ws://b {\n\t\tmax_connections\n\t}\n", "wrong argument count"),
    ("\twebsocket_notifier ws://b {\n\t\tmax_connections many\n\t}\n",
     'bad max_connections value many: strconv.Atoi: parsing "many": invalid syntax'),
    ("\twebsocket_notifier ws://b {\n\t\tmax_pending_subscribes -1\n\t}\n",
     "bad max_pending_subscribes value -1: must not be negative"),
    ("\twebsocket_notifier ws://b {\n\t\trequest_burst 0\n\t}\n",
     "request_burst < 1 while max_requests_per_second > 0: 0 100"),
])
def test_errors(tmp_path: Path, body: str, message: str) -> None:
    error = adapt_error(tmp_path, site(body))
    assert error.startswith("parsing caddyfile tokens for 'websocket_notifier': ")
    assert message in error
    assert ", at Caddyfile:" in error


@pytest.mark.parametrize("lines", [
    "\t\tpong_wait 5s\n",  # ping_interval 4.5s and write_wait 4.5s by default: valid
    "\t\twrite_wait 30s\n",  # Go compares raw values and rejects this; effective ping_interval is 54s
    "\t\tping_interval 20s\n",
    "\t\tsubscribe_retries 3\n\t\tsubscribe_try_interval 1s\n",
])
def test_effective_values_accepted(tmp_path: Path, lines: str) -> None:
    adapt(tmp_path, site(f"\twebsocket_notifier ws://b {{\n{lines}\t}}\n"))


def test_runtime_reads_adapted_json(tmp_path: Path) -> None:
    """The notifier runtime's config reader understands every key the parser writes."""
    from caddy_py.modules.websocket_notifier.settings import parse

    cfg = parse(notifier(adapt(tmp_path, (ROOT / "Caddyfile.example").read_text())))
    assert cfg.upstream == "ws://localhost:6081/ws"
    s = cfg.session
    assert (s.write_wait, s.pong_wait, s.ping_interval) == (10.0, 60.0, 50.0)
    assert (s.max_message_size, s.chan_size, s.shorty_reset_count, s.ping_text) == (256000, 16, 1000, True)
    assert cfg.link.recovery_wait == 5.0 and cfg.link.headers.getall("X-Notifier") == ["caddy-py"]
    assert cfg.hub.keep_alive == 30.0 and cfg.hub.max_event_buffer_size == 1024
    assert (cfg.hub.subscribe_retries, cfg.hub.subscribe_try_interval) == (3, 2.0)
    assert cfg.hub.channel_category == [("time", "clock"), (".*", "other")]
    assert cfg.metadata == {"remote_host": "{http.request.remote.host}", "ua": "{http.request.header.user-agent}"}
