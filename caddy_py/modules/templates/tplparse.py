"""Parsing for the Go text/template subset (see gotemplate.py): splitting text from `{{ }}`
actions (trim markers, comments), tokens, and the node tree with `define`d templates."""
from __future__ import annotations

import re
from typing import Any


class TemplateError(Exception):
    pass


# ---------------------------------------------------------------- lexing -----------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>"(?:[^"\\\n]|\\.)*")
  | (?P<raw>`[^`]*`)
  | (?P<char>'(?:[^'\\]|\\.)+')
  | (?P<decl>:=)
  | (?P<num>[+-]?(?:0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+)
  | (?P<dot>\.)
  | (?P<var>\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()|,=])
""", re.X)


def _tokens(src: str) -> list[tuple[str, str]]:
    """Tokens of one action; a field chain glued to a `)` becomes kind "chain": `(f).B`."""
    out: list[tuple[str, str]] = []
    i = 0
    spaced = True
    while i < len(src):
        m = _TOKEN.match(src, i)
        if m is None:
            raise TemplateError(f"unexpected {src[i]!r} in command")
        kind = m.lastgroup or ""
        if kind == "ws":
            spaced = True
        else:
            if kind == "field" and not spaced and out and out[-1] == ("punct", ")"):
                kind = "chain"
            out.append((kind, m.group()))
            spaced = False
        i = m.end()
    return out


def _unquote(tok: str) -> str:
    if tok.startswith("`"):
        return tok[1:-1]
    body = tok[1:-1]
    return body.encode("latin-1", "backslashreplace").decode("unicode_escape") if "\\" in body else body


# ---------------------------------------------------------------- nodes ------------------------

class Node:
    pass


class Text(Node):
    def __init__(self, text: str) -> None:
        self.text = text


class Action(Node):
    def __init__(self, pipe: "Pipe") -> None:
        self.pipe = pipe


class Branch(Node):
    def __init__(self, kind: str, pipe: "Pipe", body: list[Node], alt: list[Node]) -> None:
        self.kind, self.pipe, self.body, self.alt = kind, pipe, body, alt


class TemplateCall(Node):
    def __init__(self, name: str, pipe: "Pipe | None") -> None:
        self.name, self.pipe = name, pipe


class LoopControl(Node):
    def __init__(self, kind: str) -> None:
        self.kind = kind


class Pipe:
    def __init__(self, decl: list[str], assign: bool, cmds: list[list[Any]]) -> None:
        self.decl, self.assign, self.cmds = decl, assign, cmds


# operands: ("field", [names]), ("var", name, [names]), ("dot",), ("ident", name),
# ("lit", value), ("pipe", Pipe, [names])


class Parser:
    def __init__(self, src: str, left: str = "{{", right: str = "}}") -> None:
        self.src, self.left, self.right = src, left, right
        self.defines: dict[str, list[Node]] = {}

    def parse(self) -> list[Node]:
        self.items = self._split()
        self.pos = 0
        body, end = self._list(top=True)
        if end is not None:
            raise TemplateError(f"unexpected {{{{{end}}}}}")
        return body

    def _split(self) -> list[tuple[str, str]]:
        """[("text", s) | ("action", inner)] with trim markers applied."""
        items: list[tuple[str, str]] = []
        s, L, R = self.src, self.left, self.right
        i = 0
        while True:
            j = s.find(L, i)
            if j < 0:
                items.append(("text", s[i:]))
                return items
            text = s[i:j]
            k = j + len(L)
            if s[k:k + 1] == "-" and k + 1 < len(s) and s[k + 1] in _WS_CHARS:  # `{{- `: trim before
                text = text.rstrip(_WS_CHARS)
                k += 1
            items.append(("text", text))
            inner_start = k
            ks = _skip_ws(s, k)
            inner: str | None
            if s.startswith("/*", ks):
                end = s.find("*/", ks + 2)
                if end < 0:
                    raise TemplateError("unclosed comment")
                close = s.find(R, end + 2)
                inner = None
            else:
                close = self._find_close(s, k)
                inner = s[inner_start:close]
            if close < 0:
                raise TemplateError("unclosed action")
            body = s[inner_start:close]
            trim_after = len(body) >= 2 and body[-1] == "-" and body[-2] in _WS_CHARS  # ` -}}`
            if trim_after and inner is not None:
                inner = body[:-1]
            if inner is not None:
                items.append(("action", inner))
            i = close + len(R)
            if trim_after:
                i = _skip_ws(s, i)

    def _find_close(self, s: str, k: int) -> int:
        """The closing delimiter, skipping quoted strings inside the action."""
        i = k
        while i < len(s):
            if s.startswith(self.right, i):
                return i
            c = s[i]
            if c in "\"'`":
                end = i + 1
                while end < len(s) and s[end] != c:
                    end += 2 if c != "`" and s[end] == "\\" else 1
                i = end + 1
                continue
            i += 1
        return -1

    def _list(self, top: bool = False) -> tuple[list[Node], str | None]:
        nodes: list[Node] = []
        while self.pos < len(self.items):
            kind, val = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                if val:
                    nodes.append(Text(val))
                continue
            toks = _tokens(val)
            if not toks:
                raise TemplateError("missing value for command")
            head = toks[0][1] if toks[0][0] == "ident" else ""
            if head in ("end", "else"):
                return nodes, " ".join(t for _, t in toks)
            if head in ("if", "range", "with"):
                nodes.append(self._branch(head, toks[1:]))
            elif head in ("define", "block"):
                name = _unquote(toks[1][1])
                body, end = self._list()
                if end != "end":
                    raise TemplateError(f"unexpected {end} in {head}")
                self.defines[name] = body
                if head == "block":
                    nodes.append(TemplateCall(name, self._pipe(toks[2:]) if len(toks) > 2 else None))
            elif head == "template":
                nodes.append(TemplateCall(_unquote(toks[1][1]), self._pipe(toks[2:]) if len(toks) > 2 else None))
            elif head in ("break", "continue"):
                nodes.append(LoopControl(head))
            else:
                nodes.append(Action(self._pipe(toks)))
        if not top:
            raise TemplateError("unexpected EOF")
        return nodes, None

    def _branch(self, kind: str, toks: list[tuple[str, str]]) -> Branch:
        pipe = self._pipe(toks)
        body, end = self._list()
        alt: list[Node] = []
        if end is not None and end.startswith("else"):
            rest = end[4:].strip()
            if rest:  # `else if ...` / `else with ...`: a nested branch that ends with ours
                sub_toks = _tokens(rest)
                alt = [self._branch(sub_toks[0][1], sub_toks[1:])]
                return Branch(kind, pipe, body, alt)
            alt, end = self._list()
        if end != "end":
            raise TemplateError(f"unexpected EOF in {kind}")
        return Branch(kind, pipe, body, alt)

    def _pipe(self, toks: list[tuple[str, str]]) -> Pipe:
        decl: list[str] = []
        assign = False
        for i, (k, _) in enumerate(toks):
            if k == "decl" or (k == "punct" and toks[i][1] == "="):
                names = [t for kk, t in toks[:i] if kk == "var"]
                if names and all(kk in ("var", "punct") for kk, _ in toks[:i]):
                    decl, assign = names, k != "decl"
                    toks = toks[i + 1:]
                break
        cmds: list[list[Any]] = [[]]
        pos = 0
        while pos < len(toks):
            kind, val = toks[pos]
            pos += 1
            if kind == "punct" and val == "|":
                cmds.append([])
                continue
            if kind == "punct" and val == "(":
                depth, start = 1, pos
                while pos < len(toks) and depth:
                    if toks[pos] == ("punct", "("):
                        depth += 1
                    elif toks[pos] == ("punct", ")"):
                        depth -= 1
                    pos += 1
                if depth:
                    raise TemplateError("unclosed left paren")
                inner = self._pipe(toks[start:pos - 1])
                chain: list[str] = []
                if pos < len(toks) and toks[pos][0] == "chain":
                    chain = toks[pos][1].split(".")[1:]
                    pos += 1
                cmds[-1].append(("pipe", inner, chain))
                continue
            cmds[-1].append(self._operand(kind, val))
        if any(not c for c in cmds):
            raise TemplateError("missing command")
        return Pipe(decl, assign, cmds)

    @staticmethod
    def _operand(kind: str, val: str) -> Any:
        if kind == "field":
            return ("field", val.split(".")[1:])
        if kind == "dot":
            return ("dot",)
        if kind == "var":
            name, *chain = val.split(".")
            return ("var", name, chain)
        if kind in ("str", "raw"):
            return ("lit", _unquote(val))
        if kind == "char":
            return ("lit", ord(_unquote(val)))
        if kind == "num":
            clean = val.replace("_", "")
            if re.fullmatch(r"[+-]?0[xXbBoO].*", clean):
                return ("lit", int(clean, 0))
            return ("lit", float(clean) if any(c in clean for c in ".eE") else int(clean))
        if kind == "ident":
            if val in ("true", "false"):
                return ("lit", val == "true")
            if val == "nil":
                return ("lit", None)
            return ("ident", val)
        raise TemplateError(f"unexpected {val!r} in operand")


_WS_CHARS = " \t\r\n"


def _skip_ws(s: str, k: int) -> int:
    while k < len(s) and s[k] in _WS_CHARS:
        k += 1
    return k
