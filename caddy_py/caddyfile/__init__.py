"""The Caddyfile front end: lexer, parser (server blocks, imports, snippets), dispenser,
formatter. Generic syntax only; the HTTP meaning lives in caddy_py.httpcaddyfile.

    from caddy_py.caddyfile import parse, ServerBlock, Segment, Dispenser, CaddyfileError
    blocks = parse("Caddyfile", data, warnings)   # warnings: list[ParseWarning] to fill
    format_caddyfile(data) -> bytes               # what `caddy fmt` prints
"""
from .dispenser import Dispenser
from .errors import CaddyfileError
from .formatter import FormatWarning, format_caddyfile, formatting_difference
from .lexer import tokenize
from .parser import Segment, ServerBlock, all_tokens, parse
from .token import Token
from .warnings import ParseWarning

__all__ = ["CaddyfileError", "Dispenser", "FormatWarning", "ParseWarning", "Segment", "ServerBlock", "Token",
           "all_tokens", "format_caddyfile", "formatting_difference", "parse", "tokenize"]
