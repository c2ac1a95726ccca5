"""Effective defaults and validation of the handler's JSON config (§9, §13.16, FIX 22)."""
from __future__ import annotations

import pytest

from caddy_py.modules.websocket_notifier.settings import parse

S = 1_000_000_000
UP = {"upstream": "ws://127.0.0.1:1/ws"}


def test_defaults() -> None:
    cfg = parse(dict(UP))
    s = cfg.session
    assert (s.pong_wait, s.ping_interval, s.write_wait) == (60.0, 54.0, 10.0)
    assert s.max_message_size == 262144 and s.chan_size == 16 and not s.deflate and not s.ping_text
    assert cfg.link.recovery_wait == 5.0 and cfg.hub.keep_alive == 0


def test_effective_values_fix22() -> None:
    # Go rejects this (write_wait compared with a raw ping_interval of 0)
    assert parse({**UP, "write_wait": 10 * S}).session.write_wait == 10.0
    s = parse({**UP, "pong_wait": 5 * S}).session
    assert (s.ping_interval, s.write_wait) == (4.5, 4.5)
    assert parse({**UP, "pong_wait": "20s", "ping_interval": "10s"}).session.write_wait == 10.0


@pytest.mark.parametrize("extra,words", [
    ({"ping_interval": 60 * S}, ["ping_interval", "pong_wait"]),
    ({"pong_wait": 10 * S, "write_wait": 11 * S}, ["write_wait", "ping_interval"]),
    ({"upstream": "http://x"}, ["ws://"]),
    ({"upstream": ""}, ["upstream"]),
    ({"subscribe_retries": 2}, ["subscribe_try_interval"]),
    ({"compression": "gzip"}, ["compression"]),
    ({"ping_type": "loud"}, ["ping_type"]),
    ({"chan_size": -1}, ["chan_size"]),
    ({"request_burst": 0}, ["request_burst", "max_requests_per_second"]),
    ({"max_connections": -1}, ["max_connections"]),
])
def test_invalid(extra: dict, words: list[str]) -> None:
    with pytest.raises(ValueError) as e:
        parse({**UP, **extra})
    for w in words:
        assert w in str(e.value)


def test_inert_shorty_directive_warns(caplog: pytest.LogCaptureFixture) -> None:
    parse({**UP, "compression": "shorty"})
    assert any("no effect" in r.getMessage() for r in caplog.records)


def test_limits_and_hub_settings() -> None:
    cfg = parse({**UP, "keep_alive": 30 * S, "max_event_buffer_size": 5, "subscribe_retries": 1,
                 "subscribe_try_interval": 2 * S, "channel_category": [{"match": "^a", "category": "A"}],
                 "max_channels_per_connection": 3, "max_connections": 9, "metadata": {"k": "{http.request.uri}"}})
    h = cfg.hub
    assert (h.keep_alive, h.max_event_buffer_size, h.subscribe_retries, h.subscribe_try_interval) == (30, 5, 1, 2)
    assert h.channel_category == [("^a", "A")] and h.max_channels_per_connection == 3 and h.max_connections == 9
    assert cfg.metadata == {"k": "{http.request.uri}"}


def test_zero_disables_limits() -> None:
    h = parse({**UP, "max_channels_per_connection": 0, "max_pending_subscribes": 0,
               "max_requests_per_second": 0, "request_burst": 0}).hub
    assert (h.max_channels_per_connection, h.max_pending_subscribes, h.max_requests_per_second) == (0, 0, 0)
    d = parse(dict(UP)).hub
    assert (d.max_channels_per_connection, d.max_pending_subscribes, d.max_requests_per_second,
            d.request_burst, d.max_connections) == (1024, 64, 100, 200, 0)
