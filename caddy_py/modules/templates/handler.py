"""`http.handlers.templates`: not supported. Caddy's templates are Go's text/template language
with Caddy's function set; a faithful port is out of scope, so a config that uses it fails to
load with a clear message instead of serving unrendered templates."""
from __future__ import annotations

from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register


@register("http.handlers.templates")
class Templates:
    @classmethod
    def from_json(cls, cfg: Any, ctx: Any = None) -> "Templates":
        raise ConfigError("the templates handler is not supported by caddy-py (Go text/template is not implemented)")
