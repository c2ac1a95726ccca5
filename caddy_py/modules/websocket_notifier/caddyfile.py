"""Caddyfile parser of websocket_notifier (the Go module criyle/caddy-notifier, module.go),
ordered after file_server as the plugin registers itself.

Beyond Go's parser (which checks only the upstream scheme), the handler's settings are
validated here on their effective values (PROTOCOL.md §9, §13.16), worded as Go's Validate
words them, so a bad Caddyfile fails at adapt time with its position.
"""
from __future__ import annotations

from typing import Any

from caddy_py.httpcaddyfile.directives import Helper
from caddy_py.httpcaddyfile.gotime import GoValueError, atoi, parse_bytes, parse_duration
from caddy_py.httpcaddyfile.registry import directive_order, handler_directive
from caddy_py.modules.reverse_proxy.caddyfile import header_up_down
from caddy_py.modules.reverse_proxy.upstream_address import UpstreamError, go_url_parse

SECOND = 1_000_000_000
DEFAULT_PONG_WAIT = 60 * SECOND
DEFAULT_WRITE_WAIT = 10 * SECOND

_DURATIONS = {
    "write_wait": "write_wait", "pong_wait": "pong_wait", "ping_interval": "ping_interval",
    "recovery_wait": "recover_wait", "keep_alive": "keep_alive",
    "subscribe_try_interval": "subscribe_try_interval",
}
_INTS = {
    "chan_size": "bad size value", "shorty_reset_count": "bad shorty_reset_count value",
    "max_event_buffer_size": "bad size value", "subscribe_retries": "bad subscribe_retries value",
}
_STRINGS = ("compression", "ping_type")
# §11 resource limits (not in the Go module): written even when 0, since 0 disables a limit
# whose runtime default is not 0
_LIMITS = ("max_channels_per_connection", "max_pending_subscribes", "max_requests_per_second",
           "request_burst", "max_connections")


def validate(cfg: dict[str, Any]) -> str | None:
    """The first problem with cfg's effective settings, or None."""
    pong_wait = cfg.get("pong_wait") or DEFAULT_PONG_WAIT
    ping_interval = cfg.get("ping_interval") or pong_wait * 9 // 10
    write_wait = cfg.get("write_wait") or min(DEFAULT_WRITE_WAIT, ping_interval)
    if ping_interval > pong_wait:
        return f"ping_interval > pong_wait: {ping_interval} > {pong_wait}"
    if ping_interval == pong_wait:
        return f"ping_interval >= pong_wait: {ping_interval} >= {pong_wait}"
    if write_wait > ping_interval:
        return f"write_wait > ping_interval: {write_wait} > {ping_interval}"
    compression = cfg.get("compression", "")
    if compression not in ("permessage-deflate", "shorty", "off", ""):
        return f"bad compression value: {compression}"
    ping_type = cfg.get("ping_type", "")
    if ping_type not in ("control", "text", ""):
        return f"bad ping type value: {ping_type}"
    retries = cfg.get("subscribe_retries", 0)
    interval = cfg.get("subscribe_try_interval", 0)
    if retries > 0 and interval <= 0:
        return f"subscribe_retries > 0 while subscribe_try_interval not set: {retries} {interval}"
    rate = cfg.get("max_requests_per_second", 100)
    burst = cfg.get("request_burst", 200)
    if rate > 0 and burst < 1:
        return f"request_burst < 1 while max_requests_per_second > 0: {burst} {rate}"
    return None


def _set(cfg: dict[str, Any], key: str, value: Any) -> None:
    cfg.pop(key, None)
    if value:
        cfg[key] = value


@handler_directive("websocket_notifier")
def parse_websocket_notifier(h: Helper) -> dict:
    h.next()
    args = h.args(1)
    if args is None:
        raise h.arg_err()
    upstream = args[0]
    cfg: dict[str, Any] = {"handler": "websocket_notifier"}
    _set(cfg, "upstream", upstream)
    try:
        scheme = go_url_parse(upstream).scheme
    except UpstreamError as e:
        raise h.err(f"bad upstream url value {h.val()}: {e}") from None
    if scheme not in ("ws", "wss"):
        raise h.err(f"bad websocket scheme, must be ws or wss: {scheme}")

    nesting = h.nesting
    while h.next_block(nesting):
        key = h.val()
        if key in _DURATIONS:
            if not h.next_arg():
                raise h.arg_err()
            try:
                _set(cfg, _DURATIONS[key], parse_duration(h.val()))
            except GoValueError as e:
                raise h.err(f"bad duration value {h.val()}: {e}") from None
        elif key == "max_message_size":
            if not h.next_arg():
                raise h.arg_err()
            try:
                _set(cfg, key, parse_bytes(h.val()))
            except GoValueError as e:
                raise h.err(f"bad size value {h.val()}: {e}") from None
        elif key in _INTS:
            if not h.next_arg():
                raise h.arg_err()
            try:
                _set(cfg, key, atoi(h.val()))
            except GoValueError as e:
                raise h.err(f"{_INTS[key]} {h.val()}: {e}") from None
        elif key in _LIMITS:
            if not h.next_arg():
                raise h.arg_err()
            try:
                value = atoi(h.val())
            except GoValueError as e:
                raise h.err(f"bad {key} value {h.val()}: {e}") from None
            if value < 0:
                raise h.err(f"bad {key} value {h.val()}: must not be negative")
            cfg[key] = value
        elif key in _STRINGS:
            if not h.next_arg():
                raise h.arg_err()
            _set(cfg, key, h.val())
        elif key in ("header_up", "header_down"):
            header_up_down(h, cfg.setdefault("headers", {}), key, lint_host=True)
        elif key == "metadata":
            metadata = cfg.setdefault("metadata", {})
            margs = h.remaining_args()
            if len(margs) != 2:
                raise h.arg_err()
            if margs[0] in metadata:
                raise h.err(f"duplicated metadata key: {margs[0]}")
            metadata[margs[0]] = margs[1]
        elif key == "channel_category":
            cargs = h.remaining_args()
            if len(cargs) != 2:
                raise h.arg_err()
            entry = {k: v for k, v in (("match", cargs[0]), ("category", cargs[1])) if v}
            cfg.setdefault("channel_category", []).append(entry)
        else:
            raise h.err(f"unrecognized subdirective {key}")

    problem = validate(cfg)
    if problem:
        raise h.err(problem)
    return cfg


directive_order("websocket_notifier", "after", "file_server")
