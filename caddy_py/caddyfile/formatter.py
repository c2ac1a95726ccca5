"""`caddy fmt`: Caddy's formatter.go, rune for rune (its quirks are part of the contract: the
adapter warns "input is not formatted" whenever this output differs from the input).

It rewrites only braces, indentation and spacing; words, comments, quotes, heredocs and escapes
are copied as they appear.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lexer import decode

_GO_SPACES = frozenset("\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                       "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_GO_SPACE_STR = "".join(sorted(_GO_SPACES))
_HEREDOC_MARKER = re.compile(r"[A-Za-z0-9_-]+\Z")
# runs the state machine would take one character at a time with no change of state:
# the rest of a plain word (no quote, escape, comment, brace or "<"), and blanks within a line
_WORD = "[^" + re.escape(_GO_SPACE_STR + "\\`\"#{}<") + "]"
# the rest of a plain word, then any further plain words each after one space (the machine
# writes those unchanged too: a space, then the word)
_WORD_REST = re.compile(f"({_WORD}*)((?: {_WORD}+)*)")
# a whole line of plain words (one space apart, maybe ending in " {"), or a lone "}"
_PLAIN_LINE = re.compile(f"[\\t ]*(?:({_WORD}+(?: {_WORD}+)*)( \\{{)?|(\\}}))\\n")
_BLANKS = re.compile("[" + re.escape(_GO_SPACE_STR.replace("\n", "")) + "]+")

FORMAT_WARNING = "Caddyfile input is not formatted; run 'caddy fmt --overwrite' to fix inconsistencies"


@dataclass
class FormatWarning:
    file: str
    line: int
    message: str = FORMAT_WARNING
    directive: str = ""


def format_caddyfile(data: bytes | str) -> bytes:
    """The bytes `caddy fmt` prints for this input."""
    return _Formatter().run(decode(data).strip(_GO_SPACE_STR)).strip(_GO_SPACE_STR).encode("utf-8") + b"\n"


def formatting_difference(filename: str, body: bytes) -> FormatWarning | None:
    """adapter.go FormattingDifference: a warning at the first differing line, or None."""
    normalized = body.replace(b"\r\n", b"\n")
    formatted = format_caddyfile(normalized)
    if formatted == normalized:
        return None
    line = 1
    for i, ch in enumerate(normalized):
        if i >= len(formatted) or ch != formatted[i]:
            break
        if ch == 0x0A:
            line += 1
    return FormatWarning(filename, line)


_CLOSED, _OPENING, _OPENED = 0, 1, 2


class _Formatter:
    """State of one pass; field names follow formatter.go's variables."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.last = ""
        self.beginning_of_line = True
        self.nesting = 0
        self.current_token: list[str] = []
        self.line_first_token = ""
        self.prev_line_top_import = False
        self.open_brace = False
        self.open_brace_written = False
        self.open_brace_own_line = False

    def write(self, ch: str) -> None:
        self.out.append(ch)
        self.last = ch

    def indent(self) -> None:
        if self.nesting > 0:
            self.out.append("\t" * self.nesting)
            self.last = "\t"

    def next_line(self) -> None:
        self.write("\n")
        self.beginning_of_line = True

    def finish_token(self) -> None:
        if not self.current_token:
            return
        if self.line_first_token == "":
            self.line_first_token = "".join(self.current_token)
        self.current_token = []

    def finish_line(self) -> None:
        self.finish_token()
        if self.line_first_token != "":
            self.prev_line_top_import = self.nesting == 0 and self.line_first_token == "import"
        elif not self.open_brace or not self.open_brace_own_line or self.open_brace_written:
            self.prev_line_top_import = False
        self.line_first_token = ""

    def run(self, text: str) -> str:  # noqa: C901 - one state machine, kept in one piece like Go's
        write = self.write
        out = self.out
        word_rest = _WORD_REST.match
        plain_line = _PLAIN_LINE.match
        blanks = _BLANKS.match
        n = len(text)
        i = 0
        space = True
        open_brace_space = False
        new_lines = 0
        comment = False
        quotes = ""
        escaped = False
        heredoc = _CLOSED
        heredoc_escaped = False
        marker: list[str] = []
        closing: list[str] = []

        while i < n:
            ch = text[i]
            i += 1
            if quotes == "" and heredoc == _CLOSED and not heredoc_escaped and space and self.last == "<" and ch == "<":
                write(ch)
                heredoc = _OPENING
                space = False
                continue

            if heredoc == _OPENING:
                if ch == "\n":
                    if marker and _HEREDOC_MARKER.match("".join(marker)):
                        heredoc = _OPENED
                    else:
                        marker = []
                        heredoc = _CLOSED
                        self.next_line()
                        continue
                    write(ch)
                    continue
                if ch in _GO_SPACES:
                    marker = []
                    heredoc = _CLOSED
                else:
                    marker.append(ch)
                    write(ch)
                    continue

            if heredoc == _OPENED:
                closing.append(ch)
                if len(closing) > len(marker) + 1:
                    del closing[0]
                if ch in _GO_SPACES and closing[:-1] == marker:
                    marker = []
                    closing = []
                    heredoc = _CLOSED
                else:
                    write(ch)
                    if ch == "\n":
                        closing = []
                    continue

            if self.last == "<" and space:
                space = False

            if comment:
                if ch == "\n":
                    comment = False
                    space = True
                    self.next_line()
                else:  # the comment's text up to the end of the line, as it is
                    end = text.find("\n", i)
                    end = n if end < 0 else end
                    out.append(text[i - 1:end])
                    self.last = text[end - 1]
                    i = end
                continue

            if not escaped and ch == "\\":
                if space:
                    write(" ")
                    space = False
                write(ch)
                escaped = True
                continue

            if escaped:
                if ch == "<":
                    heredoc_escaped = True
                write(ch)
                escaped = False
                continue

            if ch == "`":
                quotes = {'"`': '"', "`": "", '"': '"`'}.get(quotes, "`")

            if quotes == '"':
                if ch == '"':
                    quotes = ""
                write(ch)
                continue

            if ch == '"':
                if quotes == "":
                    if space:
                        quotes = '"'
                elif quotes == '`"':
                    quotes = "`"
                elif quotes == '"`':
                    quotes = ""

            if "`" in quotes:
                if ch == "`" and space and not self.beginning_of_line:
                    write(" ")
                write(ch)
                space = False
                continue

            if ch in _GO_SPACES:
                self.finish_token()
                space = True
                heredoc_escaped = False
                if ch == "\n":
                    self.finish_line()
                    new_lines += 1
                    while self.last != "<":  # whole lines the machine would pass through plainly
                        m = plain_line(text, i)
                        if m is None:
                            break
                        i = m.end()
                        open_brace_space = self._plain_line(m, new_lines, open_brace_space)
                        new_lines = 1
                else:
                    m = blanks(text, i)
                    if m:
                        i = m.end()
                continue
            space_prior = space
            space = False

            # from here on: a regular character (not space, comment, quote or escape)
            if ch == "#":
                comment = True

            # caddy 2.11.7 also writes a pending brace when another "{" follows it directly
            if self.open_brace and not self.open_brace_written and (space_prior or ch == "{"):
                self.flush_open_brace(open_brace_space)
                new_lines = 0

            if ch == "{":
                self.finish_token()
                self.open_brace = True
                open_brace_space = space_prior and not self.beginning_of_line
                self.open_brace_own_line = new_lines > 0
                if open_brace_space and new_lines == 0:
                    write(" ")
                self.open_brace_written = False
                if quotes == "`":
                    write("{")
                    self.open_brace_written = True
                    self.open_brace_own_line = False
                continue

            if ch == "}" and (space_prior or not self.open_brace):
                self.finish_token()
                if quotes == "`":
                    write("}")
                    continue
                if self.last != "\n":
                    self.next_line()
                if self.nesting > 0:
                    self.nesting -= 1
                self.indent()
                write("}")
                new_lines = 0
                continue

            for _ in range(min(new_lines, 2)):
                self.next_line()
            new_lines = 0
            if self.beginning_of_line:
                self.indent()
            if self.nesting == 0 and self.last == "}" and self.beginning_of_line:
                self.next_line()
                self.next_line()

            if not self.beginning_of_line and space_prior:
                write(" ")

            if self.open_brace and not self.open_brace_written:
                write("{")
                self.open_brace_written = True

            if space_prior and ch == "<":
                space = True

            self.current_token.append(ch)
            write(ch)
            self.beginning_of_line = False
            if not space and not comment:  # the rest of a plain word goes through unchanged
                m = word_rest(text, i)
                end = m.end()
                if end > i:
                    rest, more = m.groups()
                    self.current_token.append(rest)
                    out.append(text[i:end])
                    self.last = text[end - 1]
                    i = end
                    if more:  # words after spaces: the first token is complete, the last is current
                        self.finish_token()
                        self.current_token.append(more[more.rfind(" ") + 1:])
                        heredoc_escaped = False

        if self.open_brace and not self.open_brace_written:
            self.flush_open_brace(open_brace_space)  # a brace that ends the input is kept
        return "".join(self.out)

    def _plain_line(self, m: re.Match[str], new_lines: int, open_brace_space: bool) -> bool:
        """One _PLAIN_LINE, starting right after a newline in the plain state, exactly as the
        character loop would take it (its first character's steps, then the words unchanged,
        then the newline). Returns the new open_brace_space."""
        words, brace, close = m.groups()
        if self.open_brace and not self.open_brace_written:
            self.flush_open_brace(open_brace_space)
            new_lines = 0
        if close:
            if self.last != "\n":
                self.next_line()
            if self.nesting > 0:
                self.nesting -= 1
            self.indent()
            self.write("}")
        else:
            if new_lines:
                self.out.append("\n\n" if new_lines > 1 else "\n")  # next_line(), once or twice
                self.last = "\n"
                self.beginning_of_line = True
            if self.beginning_of_line:
                self.indent()
            if self.nesting == 0 and self.last == "}" and self.beginning_of_line:
                self.next_line()
                self.next_line()
            if not self.beginning_of_line:
                self.write(" ")
            self.out.append(words)
            self.last = words[-1]
            self.beginning_of_line = False
            self.line_first_token = words.partition(" ")[0]
            if brace:
                self.open_brace = True
                open_brace_space = True
                self.open_brace_own_line = False
                self.write(" ")
                self.open_brace_written = False
        self.finish_line()
        return open_brace_space

    def flush_open_brace(self, open_brace_space: bool) -> None:
        """Write the pending "{" as a block opener: on its line, a newline after, one level in."""
        if self.nesting == 0 and self.last == "}":
            self.next_line()
            self.next_line()
        self.open_brace = False
        if self.open_brace_own_line and self.prev_line_top_import:
            if self.last != "\n":
                self.next_line()
            self.indent()
        elif self.beginning_of_line:
            self.indent()
        elif not open_brace_space or self.last not in _GO_SPACES:
            self.write(" ")
        self.write("{")
        self.open_brace_written = True
        self.open_brace_own_line = False
        self.next_line()
        if self.nesting < 10:  # ridiculous inputs must not nest forever (caddy#4169)
            self.nesting += 1
