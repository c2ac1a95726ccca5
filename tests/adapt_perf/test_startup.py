"""Start-up stays light: the lexer reads its terminals from the grammar file exactly as Lark
would build them, and adapting imports neither Lark nor aiohttp."""
from __future__ import annotations

import subprocess
import sys

from caddy_py.caddyfile.lexer import _grammar_text, grammar_terminals


def test_terminals_are_larks() -> None:
    from lark import Lark

    grammar = _grammar_text()
    lark = Lark(grammar, parser="lalr", lexer="basic")
    assert grammar_terminals(grammar) == {t.name: t.pattern.to_regexp() for t in lark.terminals}


def test_terminal_reader_escapes() -> None:
    from lark import Lark

    grammar = 'start: A | B | C | D\nA: /[\\t\\x41\\u00e9]\\s+\\\\/\nB.2: "a\\tb.c"\nC: /x+/i\nD: "\\\\"\n'
    lark = Lark(grammar, parser="lalr", lexer="basic")
    assert grammar_terminals(grammar) == {t.name: t.pattern.to_regexp() for t in lark.terminals}


def test_adapt_imports_no_lark_or_aiohttp() -> None:
    code = ("import sys\nfrom caddy_py.httpcaddyfile.adapter import adapt\n"
            "adapt(b'a.com {\\n\\treverse_proxy :9000\\n\\tencode gzip\\n\\tfile_server\\n}\\n', 'Caddyfile')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'aiohttp')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]", out.stdout
