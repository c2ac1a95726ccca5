"""A second, deliberately naive lexer: one character at a time, the way Caddy's lexer.go reads
runes. It is slow and obvious; the real lexer (regex lexemes from the Lark grammar) must agree
with it on every input, which the hypothesis test checks."""
from __future__ import annotations

import re

GO_SPACE = set("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
               "\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
MARKER = re.compile(r"[A-Za-z0-9_-]+\Z")


class LexError(Exception):
    pass


def naive_tokens(text: str) -> list[tuple[str, int, str]]:
    """(text, line, quote) for every token; raises LexError with Caddy's message."""
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[tuple[str, int, str]] = []
    pos = 0
    line = 1
    skipped = 0
    n = len(text)
    while True:
        val: list[str] = []
        comment = quoted = backquoted = in_heredoc = heredoc_escaped = escaped = False
        marker = ""
        tok_line = line
        result = None
        while True:
            if pos >= n:
                if val:
                    if in_heredoc:
                        raise LexError(f"incomplete heredoc <<{marker} on line #{line + skipped}, "
                                       f"expected ending marker {marker}")
                    result = ("".join(val), tok_line, "")
                break
            ch = text[pos]
            pos += 1
            if not quoted and not backquoted and not in_heredoc and not heredoc_escaped \
                    and len(val) > 1 and val[0] == "<" and val[1] == "<":
                if ch == " ":
                    result = ("".join(val), tok_line, "")
                    break
                if ch == "\r":
                    continue
                if ch == "\n":
                    if len(val) == 2:
                        raise LexError(f"missing opening heredoc marker on line #{line}; must contain only "
                                       "alphanumeric characters, dashes and underscores; got empty string")
                    if val[2] == "<":
                        raise LexError(f"too many '<' for heredoc on line #{line}; only use two, for example <<END")
                    marker = "".join(val[2:])
                    if not MARKER.match(marker):
                        raise LexError(f"heredoc marker on line #{line} must contain only alphanumeric "
                                       f"characters, dashes and underscores; got '{marker}'")
                    in_heredoc = True
                    skipped += 1
                    val = []
                    continue
                val.append(ch)
                continue
            if in_heredoc:
                val.append(ch)
                if ch == "\n":
                    skipped += 1
                if len(val) >= len(marker) and "".join(val[-len(marker):]) == marker:
                    body = _finalize("".join(val), marker, line)
                    line += skipped
                    skipped = 0
                    result = (body, tok_line, "<")
                    break
                continue
            if not escaped and not backquoted and ch == "\\":
                escaped = True
                continue
            if quoted or backquoted:
                if quoted and escaped:
                    if ch != '"':
                        val.append("\\")
                    escaped = False
                elif (quoted and ch == '"') or (backquoted and ch == "`"):
                    result = ("".join(val), tok_line, ch)
                    break
                if ch == "\n":
                    line += 1 + skipped
                    skipped = 0
                val.append(ch)
                continue
            if ch in GO_SPACE:
                if ch == "\r":
                    continue
                if ch == "\n":
                    if escaped:
                        skipped += 1
                        escaped = False
                    else:
                        line += 1 + skipped
                        skipped = 0
                    comment = False
                if val:
                    result = ("".join(val), tok_line, "")
                    break
                continue
            if ch == "#" and not val:
                comment = True
            if comment:
                continue
            if not val:
                tok_line = line
                if ch == '"':
                    quoted = True
                    continue
                if ch == "`":
                    backquoted = True
                    continue
            if escaped:
                if ch == "<":
                    heredoc_escaped = True
                else:
                    val.append("\\")
                escaped = False
            val.append(ch)
        if result is None:
            return out
        out.append(result)


def _finalize(body: str, marker: str, line: int) -> str:
    last = body.rfind("\n")
    lines = body[: last + 1].split("\n")
    pad = body[last + 1: len(body) - len(marker)]
    res = ""
    for i, text in enumerate(lines[:-1]):
        if text in ("", "\r"):
            res += "\n"
            continue
        if text.find(pad) != 0:
            raise LexError(f"mismatched leading whitespace in heredoc <<{marker} on line #{line + i + 1} "
                           f"[{text.rstrip(chr(13) + chr(10))}], expected whitespace [{pad}] to match the closing marker")
        res += (text[len(pad):] + "\n").replace("\r", "")
    return res[:-1] if res.endswith("\n") else res
