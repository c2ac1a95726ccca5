"""The Caddyfile token: text plus where it came from (file, line, import chain)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Token:
    text: str
    file: str = ""
    line: int = 0
    # '"', '`' or '<' (heredoc) when the token was quoted, else "".
    quote: str = ""
    # import chain, innermost last: entries look like "FILE:LINE (import NAME)".
    imports: list[str] = field(default_factory=list)
    # a snippet token: set on tokens whose value came from `{args[...]}` etc. (free for parser use)
    snippet_name: str = ""
    # the marker of a heredoc token ("EOF" for <<EOF), else ""
    heredoc_marker: str = ""

    @property
    def quoted(self) -> bool:
        return bool(self.quote)

    def num_line_breaks(self) -> int:
        """Line breaks the token spans; a heredoc counts two more (its opening and closing lines)."""
        n = self.text.count("\n")
        if self.quote == "<":
            n += 2
        return n

    def clone(self) -> "Token":
        return Token(self.text, self.file, self.line, self.quote, list(self.imports), self.snippet_name,
                     self.heredoc_marker)


def is_open_brace(t: Token) -> bool:
    """A structural `{`: only an unquoted one opens a block."""
    return t.text == "{" and not t.quote


def is_close_brace(t: Token) -> bool:
    return t.text == "}" and not t.quote


def is_next_on_new_line(t1: Token, t2: Token) -> bool:
    """Whether t2 starts a new line after t1 (another file or import chain counts as a new line)."""
    if t1.file != t2.file or t1.imports != t2.imports:
        return True
    end = t1.line + t1.text.count("\n")  # num_line_breaks inlined: the parser asks this per token
    if t1.quote == "<":
        end += 2
    return end < t2.line
