"""Parser warnings (Caddy's zap warnings) land in the adapter's log list inside a collecting scope."""
from __future__ import annotations

import logging

import pytest

from caddy_py.httpcaddyfile.zaplog import collecting, zap_warn


def test_collected_inside_scope() -> None:
    logs: list = []
    with collecting(logs):
        zap_warn("deprecated thing", "config.adapter.caddyfile", file="Caddyfile")
    assert [(w.message, w.logger, w.fields) for w in logs] == [
        ("deprecated thing", "config.adapter.caddyfile", {"file": "Caddyfile"})]
    zap_warn("after the scope")
    assert len(logs) == 1


def test_logged_outside_scope(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        zap_warn("no scope", "config.adapter.caddyfile")
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("config.adapter.caddyfile", "no scope")]
