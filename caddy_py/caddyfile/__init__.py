"""The Caddyfile front end: lexer, parser (server blocks, imports, snippets), dispenser,
formatter. Generic syntax only; the HTTP meaning lives in caddy_py.httpcaddyfile.

    from caddy_py.caddyfile import parse, ServerBlock, Segment, Dispenser, CaddyfileError
    blocks = parse("Caddyfile", data, warnings)   # warnings: list[ParseWarning]
"""
from .dispenser import Dispenser
from .errors import CaddyfileError
from .parser import Segment, ServerBlock, all_tokens, parse
from .token import Token
from .warnings import ParseWarning

__all__ = ["CaddyfileError", "Dispenser", "ParseWarning", "Segment", "ServerBlock", "Token", "all_tokens", "parse"]
