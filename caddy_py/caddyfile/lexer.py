"""Caddyfile text -> tokens, exactly as Caddy's lexer.go (quirks included).

The lexemes are the terminals of `grammar/caddyfile.lark`; this module scans with them and
keeps the little state that crosses lexemes: a backslash waiting to escape the next character
(it survives spaces and comments), line continuations (a line counter that stands still), and
heredoc bodies (read by hand: they end wherever the marker text first appears).
"""
from __future__ import annotations

import codecs
import os
import re
from functools import lru_cache

from .errors import CaddyfileError
from .token import Token

# scanning order: the terminal priorities in the grammar
_MASTER_ORDER = ("NEWLINE", "SPACE", "COMMENT", "DQUOTED", "BQUOTED", "HEREDOC_OPEN", "WORD", "BACKSLASH")
_HEREDOC_MARKER = re.compile(r"[A-Za-z0-9_-]+\Z")
_WORD_ESCAPE = re.compile(r"\\([\s\S]?)")
# Whole lines of plain words: each word starts with no quote, comment, backslash or "<" and holds
# no space (Python's \s: Go's spaces and a few more) or backslash; words one or more blanks apart.
# Such lines lex to one token per str.split() word, with no state carried across them.
_PLAIN_WORD = "[^\\s\"`#\\\\<][^\\s\\\\]*"
_PLAIN_LINES = re.compile(f"(?:[ \\t]*(?:{_PLAIN_WORD}(?:[ \\t]+{_PLAIN_WORD})*[ \\t]*)?\\n)+")
_GO_SPACE_NOT_NL = frozenset("\t\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")


def _grammar_text() -> str:
    """The grammar, from the package (installed) or the source tree's grammar/ folder. The file
    next to this module is read directly: importing importlib.resources costs every CLI start."""
    try:
        with open(os.path.join(os.path.dirname(__file__), "caddyfile.lark"), encoding="utf-8") as f:
            return f.read()
    except OSError:
        pass
    from importlib import resources
    from pathlib import Path

    try:
        return resources.files(__package__).joinpath("caddyfile.lark").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return (Path(__file__).resolve().parents[2] / "grammar" / "caddyfile.lark").read_text("utf-8")


# a terminal definition: NAME.PRIORITY: /regexp/flags or "literal"
_TERMINAL = re.compile(r'^([A-Z_]+)(?:\.-?\d+)?:[ \t]*(?:/(.*)/([imslux]*)|"((?:[^"\\]|\\.)*)")[ \t]*$', re.M)


_LARK_ESCAPE = re.compile(r'\\(\\|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[nftr"]|[\s\S])')
_CONTROL = {"n": "\n", "f": "\f", "t": "\t", "r": "\r", '"': '"'}


def _lark_unescape(body: str) -> str:
    """Lark's reading of a literal's escapes: \\xHH, \\uHHHH, \\n etc. become the character,
    any other escape (\\s, \\\\, ...) is left for the regexp engine."""
    def one(m: re.Match[str]) -> str:
        esc = m.group(1)
        if esc[0] in "xuU" and len(esc) > 1:
            return chr(int(esc[1:], 16))
        return _CONTROL.get(esc, "\\" + esc)

    return _LARK_ESCAPE.sub(one, body)


def grammar_terminals(grammar: str) -> dict[str, str]:
    """The grammar's terminals as the regexps Lark would build, read straight from its text.

    Lexing needs only these, and importing Lark and building the grammar cost ~0.1 s at every
    start; the terminals here are one-line regexps or string literals."""
    out: dict[str, str] = {}
    for m in _TERMINAL.finditer(grammar):
        name, body, flags, literal = m.groups()
        if body is not None:
            body = _lark_unescape(body)
            out[name] = f"(?{flags}:{body})" if flags else body
        else:
            out[name] = re.escape(_lark_unescape(literal).replace("\\\\", "\\"))
    return out


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    regexps = grammar_terminals(_grammar_text())
    out = {name: re.compile(rx) for name, rx in regexps.items()}
    out["_MASTER"] = re.compile("|".join(f"(?P<{n}>{regexps[n]})" for n in _MASTER_ORDER))
    return out


def decode(data: bytes | str) -> str:
    """Bytes as Go reads runes: every invalid byte becomes one U+FFFD."""
    if isinstance(data, str):
        return data
    return data.decode("utf-8", "caddy_py.go_runes")


def _go_rune_errors(err: UnicodeDecodeError) -> tuple[str, int]:
    return "\ufffd", err.start + 1


codecs.register_error("caddy_py.go_runes", _go_rune_errors)


def _unescape_word(raw: str) -> tuple[str, bool]:
    """A word's text and whether it ended with a lone backslash."""
    if "\r" in raw:
        raw = raw.replace("\r", "")
    if "\\" not in raw:
        return raw, False
    trailing = False

    def one(m: re.Match[str]) -> str:
        nonlocal trailing
        ch = m.group(1)
        if not ch:
            trailing = True
            return ""
        return "<" if ch == "<" else m.group(0)

    return _WORD_ESCAPE.sub(one, raw), trailing


def _unescape_quoted(inner: str) -> str:
    if "\\" not in inner:
        return inner
    return _WORD_ESCAPE.sub(lambda m: '"' if m.group(1) == '"' else m.group(0) if m.group(1) else "", inner)


def finalize_heredoc(body: str, marker: str, line: int) -> str:
    """Strip the closing marker's indentation from every line (lexer.go finalizeHeredoc)."""
    last_nl = body.rfind("\n")
    lines = body[: last_nl + 1].split("\n")
    padding = body[last_nl + 1: len(body) - len(marker)]
    out: list[str] = []
    for num, text in enumerate(lines[:-1]):
        if text == "" or text == "\r":
            out.append("\n")
            continue
        if not text.startswith(padding):
            clean = text.rstrip("\r\n")
            raise CaddyfileError(
                f"mismatched leading whitespace in heredoc <<{marker} on line #{line + num + 1} "
                f"[{clean}], expected whitespace [{padding}] to match the closing marker"
            )
        out.append((text[len(padding):] + "\n").replace("\r", ""))
    joined = "".join(out)
    return joined[:-1] if joined.endswith("\n") else joined


def tokenize(data: bytes | str, filename: str = "") -> list[Token]:
    """Lex a whole input (env vars already substituted). Errors carry no file name, as in Go."""
    text = decode(data)
    if text.startswith("\ufeff"):
        text = text[1:]
    pats = _patterns()
    master = pats["_MASTER"].match
    tail_re = pats["WORD_TAIL"].match
    dq_esc_re = pats["DQUOTED_ESCAPED"].match
    plain_lines = _PLAIN_LINES.match
    tokens: list[Token] = []
    append = tokens.append
    n = len(text)
    pos = 0
    line = 1
    skipped = 0  # lines swallowed by continuations and heredocs, added at the next real newline
    pending = False  # a backslash waits to escape the next character

    def finish_word(raw: str, end: int, start_line: int) -> int:
        nonlocal skipped
        value, trailing = _unescape_word(raw)
        append(Token(value, filename, start_line))
        if trailing and end < n and text[end] == "\n":
            skipped += 1
            return end + 1
        return end

    while pos < n:
        if pending:
            ch = text[pos]
            if ch == "\n":
                skipped += 1
                pending = False
                pos += 1
                continue
            if ch in _GO_SPACE_NOT_NL:
                pos += 1
                continue
            if ch == "#":
                pos = pats["COMMENT"].match(text, pos).end()
                continue
            if ch == '"':
                m = dq_esc_re(text, pos)
                pending = False
                if m is None:  # a lone quote at the end of input
                    break
                _emit_quoted(m.group(), '"', True, tokens, filename, line)
                line, skipped = _advance_lines(m.group(), line, skipped)
                pos = m.end()
                continue
            if ch != "`":
                pending = False
                m = tail_re(text, pos + 1)
                end = m.end() if m else pos + 1
                pos = finish_word("\\" + text[pos:end], end, line)
                continue
            pending = False
        else:
            m = plain_lines(text, pos)
            if m is not None:
                end = m.end()
                for ln in text[pos:end - 1].split("\n"):
                    for word in ln.split():
                        append(Token(word, filename, line))
                    line += 1 + skipped
                    skipped = 0
                pos = end
                continue
        m = master(text, pos)
        kind = m.lastgroup
        end = m.end()
        if kind == "NEWLINE":
            line += 1 + skipped
            skipped = 0
        elif kind == "SPACE":
            pass
        elif kind == "WORD":
            raw = m.group()
            if "\\" in raw or "\r" in raw:
                end = finish_word(raw, end, line)
            else:  # the common plain word: nothing to unescape, no continuation
                append(Token(raw, filename, line))
        elif kind == "COMMENT":
            if "\\" in m.group():
                pending = True
        elif kind == "DQUOTED" or kind == "BQUOTED":
            raw = m.group()
            _emit_quoted(raw, raw[0], False, tokens, filename, line)
            if "\n" in raw:
                line, skipped = _advance_lines(raw, line, skipped)
        elif kind == "HEREDOC_OPEN":
            end, line, skipped = _heredoc(text, m, tokens, filename, line, skipped)
        else:  # BACKSLASH
            pending = True
        pos = end
    return tokens


def _advance_lines(raw: str, line: int, skipped: int) -> tuple[int, int]:
    count = raw.count("\n")
    if count:
        return line + count + skipped, 0
    return line, skipped


def _emit_quoted(raw: str, quote: str, escaped_first: bool, tokens: list[Token], filename: str, line: int) -> None:
    """A quoted lexeme as a token; unterminated (end of input), it is unquoted and only if non-empty."""
    body = ("\\" if escaped_first else "") + raw[1:]
    closed = body.endswith(quote) and (quote == "`" or _even_backslashes_before_last(body))
    inner = body[:-1] if closed else body
    if quote == '"':
        inner = _unescape_quoted(inner)
    if closed:
        tokens.append(Token(inner, filename, line, quote))
    elif inner:
        tokens.append(Token(inner, filename, line))


def _even_backslashes_before_last(body: str) -> bool:
    head = body[:-1]
    return (len(head) - len(head.rstrip("\\"))) % 2 == 0


def _heredoc(text: str, m: re.Match[str], tokens: list[Token], filename: str,
             line: int, skipped: int) -> tuple[int, int, int]:
    """`<<...` at a token start: a plain word, or a heredoc whose body is read here."""
    val = m.group().replace("\r", "")
    end = m.end()
    if end >= len(text) or text[end] != "\n":
        tokens.append(Token(val, filename, line))
        return end, line, skipped
    if len(val) == 2:
        raise CaddyfileError(
            f"missing opening heredoc marker on line #{line}; must contain only alphanumeric "
            "characters, dashes and underscores; got empty string"
        )
    if val.startswith("<<<"):
        raise CaddyfileError(f"too many '<' for heredoc on line #{line}; only use two, for example <<END")
    marker = val[2:]
    if not _HEREDOC_MARKER.match(marker):
        raise CaddyfileError(
            f"heredoc marker on line #{line} must contain only alphanumeric characters, "
            f"dashes and underscores; got '{marker}'"
        )
    skipped += 1
    body_start = end + 1
    found = text.find(marker, body_start)
    if found < 0:
        body = text[body_start:]
        if body:
            skipped += body.count("\n")
            raise CaddyfileError(
                f"incomplete heredoc <<{marker} on line #{line + skipped}, expected ending marker {marker}"
            )
        return len(text), line, skipped
    stop = found + len(marker)
    body = text[body_start:stop]
    skipped += body.count("\n")
    tok = Token(finalize_heredoc(body, marker, line), filename, line, "<")
    tok.heredoc_marker = marker
    tokens.append(tok)
    return stop, line + skipped, 0
