"""Tokens -> server blocks (Caddy's parse.go): addresses, blocks, segments, snippets, named
routes and `import` (files, globs, snippets, arguments, `{block}`), with Caddy's error text.

    blocks = parse("Caddyfile", data, warnings)   # warnings: list[ParseWarning] to fill
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .dispenser import Dispenser
from .envvars import replace_env_vars
from .errors import CaddyfileError
from .importargs import args_lookup, parse_variadic, replace_known
from .importgraph import ImportCycleError, ImportGraph
from .imports import ImportFiles
from .lexer import tokenize
from .token import Token, is_close_brace, is_next_on_new_line, is_open_brace
from .warnings import ParseWarning, WarningSink


class Segment(list):
    """One directive: its line, plus the block opened at the end of it."""

    def directive(self) -> str:
        return self[0].text if self else ""


@dataclass
class ServerBlock:
    keys: list[Token] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    has_braces: bool = False
    is_named_route: bool = False

    def get_keys_text(self) -> list[str]:
        return [k.text for k in self.keys]

    def dispense_directive(self, name: str) -> Dispenser:
        """A dispenser over every segment of this block whose directive is `name`."""
        return Dispenser([t for seg in self.segments if seg and seg[0].text == name for t in seg])


def all_tokens(filename: str, data: bytes | str) -> list[Token]:
    """Env-substituted, lexed input (Caddy's allTokens)."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    return tokenize(replace_env_vars(raw), filename)


def parse(filename: str, data: bytes | str, warnings: list[ParseWarning] | None = None) -> list[ServerBlock]:
    """Parse a Caddyfile into server blocks; raises CaddyfileError with Caddy's message."""
    parser = _Parser(all_tokens(filename, data), WarningSink(warnings))
    try:
        return parser.parse_all()
    finally:
        parser.files = None  # parser and importer point at each other: let refcounting free them


_STRUCTURAL = frozenset(("{", "{}", "}", "import"))  # token texts _directive must look at closely


def _starts_line(prev: Token, tok: Token) -> bool:
    """is_next_on_new_line(prev, tok), answered without the call for two tokens of one line."""
    if tok.line == prev.line and tok.file == prev.file and tok.imports == prev.imports:
        return False
    return is_next_on_new_line(prev, tok)


class _Parser(Dispenser):
    __slots__ = ("block", "eof", "snippets", "block_nesting", "graph", "sink", "files")

    def __init__(self, tokens: list[Token], sink: WarningSink) -> None:
        super().__init__(tokens)
        self.block = ServerBlock()
        self.eof = False
        self.snippets: dict[str, list[Token]] = {}
        self.block_nesting = 0  # parse.go's parser.nesting (the Dispenser keeps its own)
        self.graph = ImportGraph()
        self.sink = sink
        self.files = ImportFiles(self, sink)

    # -- blocks -------------------------------------------------------------------------------
    def parse_all(self) -> list[ServerBlock]:
        blocks: list[ServerBlock] = []
        while self.next():
            self.block = ServerBlock()
            self._begin()
            if self.block.keys or self.block.segments:
                blocks.append(self.block)
            if self.block_nesting > 0:
                raise self.eof_err()
        return blocks

    def _begin(self) -> None:
        if not self.tokens:
            return
        self._addresses()
        if self.eof:
            return  # a Caddyfile that is only a line of addresses
        keys = self.block.keys
        if len(keys) == 1 and keys[0].text.startswith("&(") and keys[0].text.endswith(")"):
            name_token = self.token().clone()
            name_token.text = keys[0].text[2:-1]
            self.block.keys = [name_token]
            self.block.is_named_route = True
            self.block.segments = [Segment([name_token, *self._block_tokens(retain_braces=True)])]
            return
        if len(keys) == 1 and keys[0].text.startswith("(") and keys[0].text.endswith(")"):
            name = keys[0].text[1:-1]
            if name in self.snippets:
                raise self.err(f"redeclaration of previously declared snippet {name}")
            tokens = [t.clone() for t in self._block_tokens(retain_braces=False)]
            for t in tokens:
                t.snippet_name = name
            self.snippets[name] = tokens
            self.block.keys = []
            return
        self._block_contents()

    def _addresses(self) -> None:
        expecting_another = False
        while True:
            value = self.val()
            token = self.token()
            if value.startswith("@"):
                raise self.err(
                    "request matchers may not be defined globally, they must be in a site block; "
                    f"found {value}"
                )
            if value == "import" and self.is_new_line():
                self._do_import(0)
                continue
            if is_open_brace(token):
                if expecting_another:
                    raise self.err(f"Expected another address but had '{value}' - check for extra comma")
                self.block.has_braces = True
                break
            if value.endswith("{") and not token.quote:
                raise self.err(
                    f"Site addresses cannot end with a curly brace: '{value}' - put a space between "
                    "the token and the brace"
                )
            if value:
                if value.endswith(","):
                    value = value[:-1]
                    expecting_another = True
                else:
                    expecting_another = False
                if "," in value:
                    raise self.err(
                        f"Site addresses cannot contain a comma ',': '{value}' - put a space after the "
                        "comma to separate site addresses"
                    )
                if value:
                    key = token.clone()
                    key.text = value
                    self.block.keys.append(key)
            has_next = self.next()
            if expecting_another and not has_next:
                raise self.eof_err()
            if not has_next:
                self.eof = True
                break
            if not expecting_another and self.is_new_line():
                break

    def _block_contents(self) -> None:
        braced = self._check_open_brace() is None
        if not braced:
            self.cursor -= 1  # a single site may omit its braces
        self._directives()
        if braced and not is_close_brace(self.token()):
            raise self.syntax_err("}")

    def _directives(self) -> None:
        while self.next():
            if is_close_brace(self.token()):
                break
            if self.val() == "import":
                self._do_import(1)
                self.cursor -= 1
                continue
            self._directive()

    def _directive(self) -> None:
        tokens = self.tokens
        cursor = self.cursor
        segment = Segment([tokens[cursor]])
        append = segment.append
        last = len(tokens) - 1
        while cursor < last:  # next(), token() and is_new_line(), inlined: this runs per token
            cursor += 1
            tok = tokens[cursor]
            if tok.text not in _STRUCTURAL:  # a plain token: the only question is its line
                if self.block_nesting == 0 and _starts_line(tokens[cursor - 1], tok):
                    cursor -= 1
                    break
                append(tok)
                continue
            self.cursor = cursor
            text = tok.text
            if text == "{" and not tok.quote:
                self.block_nesting += 1
                if not self.is_next_on_new_line():
                    raise self.err("Unexpected next token after '{' on same line")
                if self.is_new_line():
                    raise self.err("Unexpected '{' on a new line; did you mean to place the '{' on the previous line?")
            elif text == "{}" and not tok.quote:
                if self.is_next_on_new_line():
                    raise self.err("Unexpected '{}' at end of line")
            elif self.block_nesting == 0 and _starts_line(tokens[cursor - 1], tok):
                cursor -= 1
                break
            elif text == "}" and not tok.quote:
                if self.block_nesting == 0:
                    raise self.err("Unexpected '}' because no matching opening brace")
                self.block_nesting -= 1
            elif text == "import" and self.is_new_line():
                self._do_import(1)
                cursor = self.cursor - 1
                last = len(tokens) - 1
                continue
            append(tok)
        self.cursor = cursor
        self.block.segments.append(segment)
        if self.block_nesting > 0:
            raise self.eof_err()

    def _check_open_brace(self) -> CaddyfileError | None:
        """The error if the current token is not `{` (parse.go openCurlyBrace)."""
        if is_open_brace(self.token()):
            return None
        keys = self.block.keys
        if self.val() == "import" and keys and all(k.text.startswith("(") and k.text.endswith(")") for k in keys):
            return self.err(
                "global options block must appear before import directives; move the global options "
                "block to the top of the Caddyfile"
            )
        return self.syntax_err("{")

    def _block_tokens(self, retain_braces: bool) -> list[Token]:
        """Everything in the block that starts at the current `{`, for later replay."""
        error = self._check_open_brace()
        if error is not None:
            raise error
        nesting = 1
        tokens: list[Token] = [self.token()] if retain_braces else []
        while self.next():
            tok = self.token()
            if is_close_brace(tok):
                nesting -= 1
                if nesting == 0:
                    if retain_braces:
                        tokens.append(tok)
                    break
            if is_open_brace(tok):
                nesting += 1
            tokens.append(tok)
        if nesting != 0:
            raise self.syntax_err("}")
        return tokens

    # -- import -------------------------------------------------------------------------------
    def _do_import(self, nesting: int) -> None:
        """Replace `import PATTERN args... [{block}]` by the imported tokens; afterwards the
        cursor is on the token before them (as in Caddy)."""
        if not self.next_arg():
            raise self.arg_err()
        pattern = self.val()
        if pattern == "":
            raise self.err("Import requires a non-empty filepath")
        args = self.remaining_args()
        lookup = args_lookup(args, self.sink)

        block_tokens: list[Token] = []
        current = self.nesting
        while self.next_block(current):
            block_tokens.append(self.token())
        block_mapping: dict[str, list[Token]] = {}
        if block_tokens:
            bd = Dispenser(block_tokens)
            while bd.next():
                key = bd.val()
                if is_open_brace(bd.token()):
                    raise self.err("anonymous blocks are not supported")
                mapped = bd.remaining_args_as_tokens()
                inner = bd.nesting
                while bd.next_block(inner):
                    mapped.append(bd.token())
                block_mapping[key] = mapped

        before = self.tokens[: max(0, self.cursor - 1 - len(args) - len(block_tokens))]
        after = self.tokens[self.cursor + 1:]
        if pattern in self.snippets:  # a defined snippet wins over a file of that name
            imported = self.snippets[pattern]
            nodes = [f"{imported[0].file}:{imported[0].snippet_name}"] if imported else []
        else:
            imported, nodes = self.files.import_pattern(pattern)

        here = self.token()
        node_name = here.file + (f":{here.snippet_name}" if here.snippet_name else "")
        self.graph.add_nodes([node_name])
        self.graph.add_nodes(nodes)
        try:
            self.graph.add_edges(node_name, nodes)
        except ImportCycleError as e:
            self.graph.remove_nodes(nodes)
            raise CaddyfileError(str(e)) from None

        spliced = self._rewrite_imported(imported, args, nesting, block_tokens, block_mapping, lookup)
        self.tokens[:] = before + spliced + after
        self.cursor -= len(args) + len(block_tokens) + 1

    def _rewrite_imported(self, imported: list[Token], args: list[str], nesting: int,
                          block_tokens: list[Token], block_mapping: dict[str, list[Token]],
                          lookup) -> list[Token]:
        """Push the import onto each token's chain, expand {block}/{blocks.x} and {args...},
        leaving alone what looks like a snippet definition inside an imported file."""
        here = self.token()
        out: list[Token] = []
        maybe_snippet = False
        maybe_snippet_id = False
        index = 0
        for i, orig in enumerate(imported):
            token = orig.clone()
            label = f" {token.snippet_name}" if token.snippet_name else ""
            token.imports.append(f"{here.file}:{here.line} (import{label})")

            if not maybe_snippet and nesting == 0:
                if i == 0 or not out or is_next_on_new_line(out[-1], token):
                    index = 0
                else:
                    index += 1
                text = token.text
                if index == 0 and len(text) >= 3 and text.startswith("(") and text.endswith(")"):
                    maybe_snippet_id = True
            if is_open_brace(token):
                nesting += 1
                if index == 1 and maybe_snippet_id and nesting == 1:
                    maybe_snippet = True
                    maybe_snippet_id = False
            elif is_close_brace(token):
                nesting -= 1
                if nesting == 0 and maybe_snippet:
                    maybe_snippet = False

            text = token.text
            replacement: list[Token] | None = None
            if text == "{block}":
                replacement = block_tokens
            elif text.startswith("{blocks.") and text.endswith("}"):
                key = text[:-1][len("{blocks."):] if len(text) > len("{blocks.") else ""
                replacement = block_mapping.get(key, [])
            if replacement is not None:
                if maybe_snippet:
                    out.append(token)
                else:
                    out.extend(t.clone() for t in replacement)
                continue
            if maybe_snippet:
                out.append(token)
                continue
            variadic, start, end = parse_variadic(token, len(args), self.sink)
            if variadic:
                for arg in args[start:end]:
                    spread = token.clone()
                    spread.text = arg
                    out.append(spread)
            else:
                token.text = replace_known(token.text, lookup)
                out.append(token)
        return out
