"""The handler's JSON config (CADDYFILE.md, last section) turned into effective settings.

Defaults follow PROTOCOL.md §9 and §13.16; validation runs on the effective values (FIX 22).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from multidict import CIMultiDict

from caddy_py.modules.reverse_proxy.durations import seconds
from caddy_py.modules.reverse_proxy.header_ops import HeaderOps
from caddy_py.modules.websocket_notifier.hub import HubConfig
from caddy_py.modules.websocket_notifier.session import SessionSettings
from caddy_py.modules.websocket_notifier.upstream import LinkSettings

log = logging.getLogger("http.handlers.websocket_notifier")

DEFAULT_MAX_MESSAGE = 256 * 1024
DEFAULT_CHAN_SIZE = 16


@dataclass
class NotifierConfig:
    upstream: str
    session: SessionSettings
    hub: HubConfig
    link: LinkSettings
    metadata: dict[str, str] = field(default_factory=dict)
    header_down: HeaderOps | None = None
    permessage_deflate: bool = False


def _int(cfg: dict[str, Any], key: str, default: int = 0) -> int:
    v = cfg.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, int) or v < 0:
        raise ValueError(f"{key}: expected a non-negative integer, got {v!r}")
    return v


def _fmt(s: float) -> str:
    return f"{s:g}s"


def parse(cfg: dict[str, Any]) -> NotifierConfig:
    upstream = cfg.get("upstream") or ""
    if not upstream:
        raise ValueError("upstream is required")
    if urlsplit(upstream).scheme not in ("ws", "wss"):
        raise ValueError(f"upstream must be a ws:// or wss:// URL: {upstream}")
    pong_wait = seconds(cfg.get("pong_wait")) or 60.0
    ping_interval = seconds(cfg.get("ping_interval")) or pong_wait * 9 / 10
    write_wait = seconds(cfg.get("write_wait")) or min(10.0, ping_interval)
    if not ping_interval < pong_wait:
        raise ValueError(f"ping_interval ({_fmt(ping_interval)}) must be less than pong_wait ({_fmt(pong_wait)})")
    if not write_wait <= ping_interval:
        raise ValueError(f"write_wait ({_fmt(write_wait)}) must not exceed ping_interval ({_fmt(ping_interval)})")
    compression = cfg.get("compression") or ""
    if compression not in ("", "off", "permessage-deflate", "shorty"):
        raise ValueError(f"unknown compression: {compression}")
    if compression == "shorty":
        log.warning("compression shorty has no effect on subscribers; they enable it with ?shorty=on")
    ping_type = cfg.get("ping_type") or "control"
    if ping_type not in ("control", "text"):
        raise ValueError(f"unknown ping_type: {ping_type}")
    retries = _int(cfg, "subscribe_retries")
    try_interval = seconds(cfg.get("subscribe_try_interval"))
    if retries > 0 and try_interval <= 0:
        raise ValueError("subscribe_retries requires subscribe_try_interval > 0")
    chan_size = _int(cfg, "chan_size") or DEFAULT_CHAN_SIZE
    session = SessionSettings(
        write_wait=write_wait, pong_wait=pong_wait, ping_interval=ping_interval,
        max_message_size=_int(cfg, "max_message_size") or DEFAULT_MAX_MESSAGE, chan_size=chan_size,
        shorty_reset_count=_int(cfg, "shorty_reset_count"), ping_text=ping_type == "text",
        deflate=compression == "permessage-deflate")
    categories = []
    for item in cfg.get("channel_category") or []:
        categories.append((str(item.get("match", "")), str(item.get("category", ""))))
    defaults = HubConfig()
    hub = HubConfig(
        keep_alive=seconds(cfg.get("keep_alive")), max_event_buffer_size=_int(cfg, "max_event_buffer_size"),
        subscribe_retries=retries, subscribe_try_interval=try_interval, channel_category=categories,
        max_channels_per_connection=_int(cfg, "max_channels_per_connection", defaults.max_channels_per_connection),
        max_pending_subscribes=_int(cfg, "max_pending_subscribes", defaults.max_pending_subscribes),
        max_requests_per_second=float(_int(cfg, "max_requests_per_second", int(defaults.max_requests_per_second))),
        request_burst=_int(cfg, "request_burst", defaults.request_burst),
        max_connections=_int(cfg, "max_connections", defaults.max_connections))
    if hub.max_requests_per_second > 0 and hub.request_burst < 1:
        raise ValueError("request_burst must be at least 1 while max_requests_per_second > 0")
    headers = cfg.get("headers") or {}
    up_ops = HeaderOps.from_json(headers.get("request"))
    dial_headers: CIMultiDict[str] = CIMultiDict()
    if up_ops is not None:
        from caddy_py.replacer import new_replacer

        up_ops.apply(dial_headers, new_replacer())
    link = LinkSettings(recovery_wait=seconds(cfg.get("recover_wait")) or 5.0, ping_interval=ping_interval,
                        pong_wait=pong_wait, write_wait=write_wait, headers=dial_headers)
    metadata = {str(k): str(v) for k, v in (cfg.get("metadata") or {}).items()}
    return NotifierConfig(upstream=upstream, session=session, hub=hub, link=link, metadata=metadata,
                          header_down=HeaderOps.from_json(headers.get("response")),
                          permessage_deflate=session.deflate)
