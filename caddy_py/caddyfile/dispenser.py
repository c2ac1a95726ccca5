"""Walks a token list with a notion of lines and blocks: the API every directive parser uses.

Method names are Caddy's Dispenser methods in snake_case (`next_arg`, `next_block`, `arg_err`,
...), so a directive's Go parser reads one to one against its Python version.
"""
from __future__ import annotations

import re
from typing import Any

from .errors import CaddyfileError
from .token import Token, is_close_brace, is_next_on_new_line, is_open_brace

Segment = list[Token]

MATCHER_NAME_CTX_KEY = "matcher_name"


class Dispenser:
    __slots__ = ("tokens", "cursor", "nesting", "context")

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.cursor = -1
        self.nesting = 0
        self.context: dict[str, Any] | None = None  # made on first set: most dispensers never use it

    # -- moving -------------------------------------------------------------------------------
    def next(self) -> bool:
        if self.cursor < len(self.tokens) - 1:
            self.cursor += 1
            return True
        return False

    def prev(self) -> bool:
        if self.cursor > -1:
            self.cursor -= 1
            return self.cursor > -1
        return False

    def _next_on_same_line(self) -> bool:
        cursor, tokens = self.cursor, self.tokens
        if cursor < 0:
            self.cursor = cursor + 1
            return True
        if cursor >= len(tokens) - 1:
            return False
        a, b = tokens[cursor], tokens[cursor + 1]
        if (b.line == a.line and b.file == a.file and b.imports == a.imports) or not is_next_on_new_line(a, b):
            self.cursor = cursor + 1
            return True
        return False

    def next_arg(self) -> bool:
        """Load the next token if it is on the same line and is not a block opening."""
        cursor, tokens = self.cursor, self.tokens
        if cursor < 0:
            self.cursor = cursor = cursor + 1
            if cursor < len(tokens) and tokens[cursor].text == "{" and not tokens[cursor].quote:
                self.cursor = cursor - 1
                return False
            return True
        if cursor >= len(tokens) - 1:
            return False
        # _next_on_same_line and is_open_brace, inlined: this runs for every argument
        a, b = tokens[cursor], tokens[cursor + 1]
        if not ((b.line == a.line and b.file == a.file and b.imports == a.imports) or not is_next_on_new_line(a, b)):
            return False
        if b.text == "{" and not b.quote:
            return False
        self.cursor = cursor + 1
        return True

    def next_line(self) -> bool:
        if self.cursor < 0:
            self.cursor += 1
            return True
        if self.cursor >= len(self.tokens) - 1:
            return False
        if is_next_on_new_line(self.tokens[self.cursor], self.tokens[self.cursor + 1]):
            self.cursor += 1
            return True
        return False

    def next_block(self, initial_nesting: int) -> bool:
        """Use as `while d.next_block(nesting):` to visit every token of the block opened here."""
        if self.nesting > initial_nesting:
            cursor, tokens = self.cursor, self.tokens
            if cursor >= len(tokens) - 1:  # next(), token() and the brace tests inlined: per token
                return False
            self.cursor = cursor = cursor + 1
            tok = tokens[cursor]
            if tok.text == "}" and not tok.quote:
                if not self._next_on_same_line():
                    self.nesting -= 1
            elif tok.text == "{" and not tok.quote and not self._next_on_same_line():
                self.nesting += 1
            return self.nesting > initial_nesting
        if not self._next_on_same_line():
            return False
        if not is_open_brace(self.token()):
            self.cursor -= 1
            return False
        self.next()
        if is_close_brace(self.token()):
            return False
        self.nesting += 1
        return True

    def reset(self) -> None:
        self.cursor = -1
        self.nesting = 0

    # -- reading ------------------------------------------------------------------------------
    def token(self) -> Token:
        if 0 <= self.cursor < len(self.tokens):
            return self.tokens[self.cursor]
        return Token("")

    def val(self) -> str:
        if 0 <= self.cursor < len(self.tokens):
            return self.tokens[self.cursor].text
        return ""

    def val_raw(self) -> str:
        """The value with its quotes put back (a heredoc gives its text only)."""
        tok = self.token()
        if tok.quote and tok.quote != "<":
            return tok.quote + tok.text + tok.quote
        return tok.text

    def scalar_val(self) -> Any:
        """int, float or bool for an unquoted value that parses as one (Go's rules), else str."""
        if not 0 <= self.cursor < len(self.tokens):
            return None
        tok = self.tokens[self.cursor]
        if tok.quote:
            return tok.text
        return go_scalar(tok.text)

    def line(self) -> int:
        return self.token().line

    def file(self) -> str:
        return self.token().file

    def args(self, n: int) -> list[str] | None:
        """The next n arguments, or None if fewer are on the line (those read stay consumed)."""
        out = []
        for _ in range(n):
            if not self.next_arg():
                return None
            out.append(self.val())
        return out

    def all_args(self, n: int) -> list[str] | None:
        """Exactly n arguments remain on the line: return them, else None."""
        out = self.args(n)
        if out is None:
            return None
        if self.next_arg():
            self.prev()
            return None
        return out

    def count_remaining_args(self) -> int:
        count = 0
        while self.next_arg():
            count += 1
        for _ in range(count):
            self.prev()
        return count

    def remaining_args(self) -> list[str]:
        out = []
        while self.next_arg():
            out.append(self.val())
        return out

    def remaining_args_raw(self) -> list[str]:
        out = []
        while self.next_arg():
            out.append(self.val_raw())
        return out

    def remaining_args_as_tokens(self) -> list[Token]:
        out = []
        while self.next_arg():
            out.append(self.token())
        return out

    def next_segment(self) -> Segment:
        """The current token through the end of its line, plus a block opened at the line's end."""
        tkns = [self.token()]
        while self.next_arg():
            tkns.append(self.token())
        opened = False
        nesting = self.nesting
        while self.next_block(nesting):
            if not opened:
                # next_block consumed the opening brace; the segment keeps it
                self.prev()
                tkns.append(self.token())
                self.next()
                opened = True
            tkns.append(self.token())
        if opened:
            tkns.append(self.token())
        return tkns

    def new_from_next_segment(self) -> "Dispenser":
        return Dispenser(self.next_segment())

    def delete(self) -> list[Token]:
        if 0 <= self.cursor <= len(self.tokens) - 1:
            del self.tokens[self.cursor]
            self.cursor -= 1
        return self.tokens

    def delete_n(self, amount: int) -> list[Token]:
        if amount > 0 and self.cursor >= amount - 1 and self.cursor <= len(self.tokens) - 1:
            del self.tokens[self.cursor - (amount - 1): self.cursor + 1]
            self.cursor -= amount
        return self.tokens

    def is_new_line(self) -> bool:
        """Whether the current token starts a line (true for the first token)."""
        if self.cursor < 1:
            return True
        if self.cursor > len(self.tokens) - 1:
            return False
        return is_next_on_new_line(self.tokens[self.cursor - 1], self.tokens[self.cursor])

    def is_next_on_new_line(self) -> bool:
        if self.cursor < 0:
            return False
        if self.cursor >= len(self.tokens) - 1:
            return True
        return is_next_on_new_line(self.tokens[self.cursor], self.tokens[self.cursor + 1])

    # -- context ------------------------------------------------------------------------------
    def set_context(self, key: str, value: Any) -> None:
        if self.context is None:
            self.context = {}
        self.context[key] = value

    def get_context(self, key: str) -> Any:
        return self.context.get(key) if self.context else None

    def get_context_string(self, key: str) -> str:
        v = self.get_context(key)
        return v if isinstance(v, str) else ""

    # -- errors (Caddy's wording) -------------------------------------------------------------
    def arg_err(self) -> CaddyfileError:
        if is_open_brace(self.token()):
            return self.err("unexpected token '{', expecting argument")
        return self.err(f"wrong argument count or unexpected line ending after '{self.val()}'")

    def syntax_err(self, expected: str) -> CaddyfileError:
        chain = "','".join(self.token().imports)
        return CaddyfileError(
            f"syntax error: unexpected token '{self.val()}', expecting '{expected}', "
            f"at {self.file()}:{self.line()} import chain: ['{chain}']"
        )

    def eof_err(self) -> CaddyfileError:
        return self.err("unexpected EOF")

    def err(self, msg: str) -> CaddyfileError:
        return self.wrap_err(msg)

    errf = err  # Go's Errf: format with an f-string at the call site

    def wrap_err(self, err: object) -> CaddyfileError:
        tok = self.token()
        if tok.imports:
            chain = "','".join(tok.imports)
            return CaddyfileError(f"{err}, at {tok.file}:{tok.line} import chain ['{chain}']")
        return CaddyfileError(f"{err}, at {tok.file}:{tok.line}")


def go_scalar(text: str) -> Any:
    """Go's strconv order: Atoi, then ParseFloat, then ParseBool, else the string."""
    from .importargs import go_atoi

    n = go_atoi(text)
    if n is not None:
        return n
    f = go_parse_float(text)
    if f is not None:
        return f
    if text in ("t", "T", "TRUE", "true", "True"):
        return True
    if text in ("f", "F", "FALSE", "false", "False"):
        return False
    return text


_GO_DECIMAL_FLOAT = re.compile(r"[+-]?(?:[0-9]*\.?[0-9]+|[0-9]+\.)(?:[eE][+-]?[0-9]+)?\Z")
_GO_HEX_FLOAT = re.compile(r"[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?[0-9]+\Z")
_GO_SPECIAL_FLOAT = re.compile(r"[+-]?(?:inf|infinity|nan)\Z", re.I)


def go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64); None where Go returns an error (out of range included)."""
    if _GO_DECIMAL_FLOAT.match(text):
        value = float(text)
    elif _GO_HEX_FLOAT.match(text):
        sign = -1.0 if text.startswith("-") else 1.0
        try:
            value = sign * float.fromhex(text.lstrip("+-"))
        except OverflowError:
            return None
    elif _GO_SPECIAL_FLOAT.match(text):
        return float(text)
    else:
        return None
    if value in (float("inf"), float("-inf")):
        return None  # Go: "value out of range"
    return value
