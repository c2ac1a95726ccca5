"""`http.matchers.url_pattern`: WHATWG URL Pattern matching (Caddy's MatchURLPattern).

A pattern without a scheme and no `base_url` matches any scheme, host and port. The request is
matched as `scheme://Host` plus its cleaned path (slashes merged unless the pattern's path has
`//`) and query; named and numbered groups become `{http.url_pattern.<component>.<group>}`.
The pattern engine is urlpattern-py (the standard's algorithms in Python).
"""
from __future__ import annotations

from typing import Any

from urlpattern import URLPattern

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register
from caddy_py.http.matchers.path import clean_path
from caddy_py.modules.rewrite import gourl

PLACEHOLDER_PREFIX = "http.url_pattern"
_COMPONENTS = ("protocol", "username", "password", "hostname", "port", "pathname", "search", "hash")


def _pattern_path(pattern: str) -> str:
    idx = pattern.find("://")
    if idx < 0:
        return pattern
    rest = pattern[idx + 3:]
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else ""


@register("http.matchers.url_pattern")
class MatchURLPattern:
    __slots__ = ("compiled", "merge_slashes")

    def __init__(self, pattern: str, base_url: str, ignore_case: bool) -> None:
        text = pattern
        if not base_url and "://" not in text:
            text = "*://*:*" + text
        options = {"ignoreCase": ignore_case}
        try:
            self.compiled = URLPattern(text, base_url, options) if base_url else URLPattern(text, options)
        except Exception as e:  # noqa: BLE001 - the library raises TypeError and friends
            raise ConfigError(f"unable to parse URL pattern: {e}") from None
        self.merge_slashes = "//" not in _pattern_path(pattern)

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchURLPattern":
        if not isinstance(cfg, dict):
            raise ConfigError("url_pattern matcher: expected an object")
        return cls(str(cfg.get("pattern") or ""), str(cfg.get("base_url") or ""), bool(cfg.get("ignore_case")))

    def match(self, req: Any) -> bool:
        transport = req.raw.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        path = gourl.escape_path(clean_path(req.decoded_path, self.merge_slashes)) or "/"
        uri = f"{path}?{req.raw_query}" if req.raw_query else path
        try:
            result = self.compiled.exec(uri, ("https" if tls else "http") + "://" + req.host)
        except Exception:  # noqa: BLE001 - an input the URL parser refuses does not match
            return False
        if result is None:
            return False
        repl = req.replacer
        for component in _COMPONENTS:
            for name, value in (result.get(component) or {}).get("groups", {}).items():
                repl.set(f"{PLACEHOLDER_PREFIX}.{component}.{name}", "" if value is None else value)
        return True
