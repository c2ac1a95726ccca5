"""`http.matchers.tls`: matches requests that came in over TLS (Caddy's MatchTLS).

An empty matcher matches any TLS request; `handshake_complete` compares with the handshake
state. Over TCP a request is only read after the handshake, so the state is always complete:
only QUIC 0-RTT early data (HTTP/3, which caddy-py does not serve) can be incomplete.
"""
from __future__ import annotations

from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register


@register("http.matchers.tls")
class MatchTLS:
    __slots__ = ("handshake_complete",)

    def __init__(self, handshake_complete: bool | None) -> None:
        self.handshake_complete = handshake_complete

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchTLS":
        if cfg is None:
            cfg = {}
        if not isinstance(cfg, dict):
            raise ConfigError("tls matcher: expected an object")
        hc = cfg.get("handshake_complete")
        if hc is not None and not isinstance(hc, bool):
            raise ConfigError("tls matcher: handshake_complete must be a boolean")
        return cls(hc)

    def match(self, req: Any) -> bool:
        transport = req.raw.transport
        if transport is None or transport.get_extra_info("ssl_object") is None:
            return False
        return self.handshake_complete is not False  # the handshake is always complete here
