"""The `rewrite` of the upstream request (Caddy's rewrite.Rewrite, method and URI parts)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.http.request import Request


@dataclass
class UpstreamRewrite:
    method: str = ""
    uri: str = ""
    strip_path_prefix: str = ""
    strip_path_suffix: str = ""

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "UpstreamRewrite | None":
        if not cfg:
            return None
        return cls(str(cfg.get("method", "")), str(cfg.get("uri", "")),
                   str(cfg.get("strip_path_prefix", "")), str(cfg.get("strip_path_suffix", "")))

    def apply(self, req: "Request") -> tuple[str, str]:
        """(method, request target) for the upstream; the client's request is left alone."""
        repl = req.replacer
        method = repl.replace_all(self.method, "").upper() if self.method else req.method
        path, query = req.path, req.raw_query
        if self.uri:
            new = repl.replace_all(self.uri, "")
            new_path, sep, new_query = new.partition("?")
            if new_path:
                path = quote(new_path, safe="/%:@!$&'()*+,;=-._~")
            if sep:
                query = new_query
        if self.strip_path_prefix and path.lower().startswith(self.strip_path_prefix.lower()):
            path = path[len(self.strip_path_prefix):] or "/"
            if not path.startswith("/"):
                path = "/" + path
        if self.strip_path_suffix and path.lower().endswith(self.strip_path_suffix.lower()):
            path = path[: len(path) - len(self.strip_path_suffix)]
        return method, path + ("?" + query if query else "")
