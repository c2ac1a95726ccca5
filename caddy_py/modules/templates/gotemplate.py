"""A subset of Go's text/template, enough for Caddy's `templates` handler.

Supported: text and `{{ }}` actions with `{{-`/`-}}` trimming and `/* */` comments; pipelines
with `|`; `$var :=`/`=` (and `$i, $v :=` in range); `.Field` chains on objects, dicts and
(`$x.Field`, `(pipe).Field`); method calls with arguments; literals (strings, raw strings,
chars, numbers, true/false/nil); `if`/`else if`/`else`, `range` (lists, dicts by sorted key,
integers) with `else`, `break`, `continue`, `with`/`else with`, `define`, `template`, `block`;
Go's builtins (and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge,
html, js, urlquery, call). Values print as Go's fmt does (`<no value>` for nil).
"""
from __future__ import annotations

import html as _html
import re
from typing import Any, Callable
from urllib.parse import quote

from caddy_py.modules.templates.gofmt import go_sprint, go_sprintf


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


# ---------------------------------------------------------------- execution --------------------

class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def truth(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, (bool, int, float, str, list, tuple, dict)):
        return bool(v)
    return True


def _eq(a: Any, *bs: Any) -> bool:
    return any(a == b for b in bs)


def _cmp(op: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def f(a: Any, b: Any) -> bool:
        if isinstance(a, bool) or isinstance(b, bool) or type(a) is not type(b) and not (
                isinstance(a, (int, float)) and isinstance(b, (int, float))):
            raise TemplateError("incompatible types for comparison")
        return op(a, b)
    return f


def _index(item: Any, *keys: Any) -> Any:
    for k in keys:
        if isinstance(item, dict):
            item = item.get(k)
        else:
            try:
                item = item[k]
            except (IndexError, TypeError) as e:
                raise TemplateError(f"error calling index: {e}") from None
    return item


def _slice(item: Any, *idx: int) -> Any:
    return item[idx[0]:idx[1]] if len(idx) >= 2 else item[idx[0]:] if idx else item


def _js(s: Any) -> str:
    out = []
    for ch in go_sprint(s):
        if ch in "\\'\"<>&=":
            out.append("\\u%04X" % ord(ch) if ch in "<>&=" else "\\" + ch)
        elif ord(ch) < 0x20:
            out.append("\\u%04X" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def _and(*args: Any) -> Any:
    for a in args:
        if not truth(a):
            return a
    return args[-1]


def _or(*args: Any) -> Any:
    for a in args:
        if truth(a):
            return a
    return args[-1]


BUILTINS: dict[str, Callable[..., Any]] = {
    "and": _and, "or": _or, "not": lambda a: not truth(a), "len": len, "index": _index, "slice": _slice,
    "print": lambda *a: go_sprint(*a), "printf": lambda f, *a: go_sprintf(f, *a),
    "println": lambda *a: " ".join(go_sprint(x) for x in a) + "\n",
    "eq": _eq, "ne": lambda a, b: a != b, "lt": _cmp(lambda a, b: a < b), "le": _cmp(lambda a, b: a <= b),
    "gt": _cmp(lambda a, b: a > b), "ge": _cmp(lambda a, b: a >= b),
    "html": lambda *a: _html.escape("".join(go_sprint(x) for x in a)).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
    "js": lambda *a: _js("".join(go_sprint(x) for x in a)),
    "urlquery": lambda *a: quote("".join(go_sprint(x) for x in a), safe="-_.~").replace("%20", "+"),
    "call": lambda fn, *a: fn(*a),
}


class Template:
    """A parsed template set: the main body plus `define`d templates; `execute(data)` -> str."""

    def __init__(self, src: str, funcs: dict[str, Callable[..., Any]] | None = None,
                 delims: tuple[str, str] = ("{{", "}}")) -> None:
        self.funcs = dict(BUILTINS)
        self.funcs.update(funcs or {})
        self.delims = delims
        self.defines: dict[str, list[Node]] = {}
        self.body = self.parse_more(src)

    def parse_more(self, src: str) -> list[Node]:
        p = Parser(src, *self.delims)
        body = p.parse()
        self.defines.update(p.defines)
        return body

    def execute(self, data: Any) -> str:
        out: list[str] = []
        self._run(self.body, data, [("$", data)], out)
        return "".join(out)

    # -- statements
    def _run(self, nodes: list[Node], dot: Any, scope: list[tuple[str, Any]], out: list[str]) -> None:
        mark = len(scope)
        for n in nodes:
            if isinstance(n, Text):
                out.append(n.text)
            elif isinstance(n, Action):
                val = self._pipe(n.pipe, dot, scope)
                if not n.pipe.decl:
                    out.append("<no value>" if val is None else go_sprint(val))
            elif isinstance(n, Branch):
                self._branch(n, dot, scope, out)
            elif isinstance(n, TemplateCall):
                body = self.defines.get(n.name)
                if body is None:
                    raise TemplateError(f'no such template "{n.name}"')
                arg = self._pipe(n.pipe, dot, scope) if n.pipe is not None else None
                self._run(body, arg, [("$", arg)], out)
            elif isinstance(n, LoopControl):
                raise _Break() if n.kind == "break" else _Continue()
        del scope[mark:]

    def _branch(self, n: Branch, dot: Any, scope: list[tuple[str, Any]], out: list[str]) -> None:
        mark = len(scope)
        if n.kind == "range":
            val = self._pipe(n.pipe, dot, scope, declare=False)
            items: list[tuple[Any, Any]]
            if isinstance(val, dict):
                items = [(k, val[k]) for k in sorted(val)]
            elif isinstance(val, int) and not isinstance(val, bool):
                items = [(i, i) for i in range(val)]
            elif val is None:
                items = []
            else:
                items = list(enumerate(val))
            if not items:
                self._run(n.alt, dot, scope, out)
            for k, v in items:
                if len(n.pipe.decl) == 1:
                    scope.append((n.pipe.decl[0], v))
                elif len(n.pipe.decl) == 2:
                    scope.extend([(n.pipe.decl[0], k), (n.pipe.decl[1], v)])
                try:
                    self._run(n.body, v, scope, out)
                except _Continue:
                    pass
                except _Break:
                    del scope[mark:]
                    break
                del scope[mark:]
            return
        val = self._pipe(n.pipe, dot, scope)
        if truth(val):
            self._run(n.body, val if n.kind == "with" else dot, scope, out)
        else:
            self._run(n.alt, dot, scope, out)
        del scope[mark:]

    # -- expressions
    def _pipe(self, pipe: Pipe, dot: Any, scope: list[tuple[str, Any]], declare: bool = True) -> Any:
        val: Any = _NOTHING
        for cmd in pipe.cmds:
            val = self._command(cmd, dot, scope, val)
        if pipe.decl and declare:
            if pipe.assign:
                for i in range(len(scope) - 1, -1, -1):
                    if scope[i][0] == pipe.decl[0]:
                        scope[i] = (pipe.decl[0], val)
                        break
                else:
                    raise TemplateError(f"undefined variable: {pipe.decl[0]}")
            else:
                scope.append((pipe.decl[0], val))
        return val

    def _command(self, cmd: list[Any], dot: Any, scope: list[tuple[str, Any]], final: Any) -> Any:
        head = cmd[0]
        args = [self._arg(a, dot, scope) for a in cmd[1:]]
        if final is not _NOTHING:
            args.append(final)
        kind = head[0]
        if kind == "ident":
            fn = self.funcs.get(head[1])
            if fn is None:
                raise TemplateError(f'function "{head[1]}" not defined')
            return fn(*args)
        if kind == "field":
            return self._chain(dot, head[1], args)
        if kind == "var":
            return self._chain(self._var(head[1], scope), head[2], args)
        if kind == "pipe":
            return self._chain(self._pipe(head[1], dot, scope), head[2], args)
        if args:
            raise TemplateError(f"can't give argument to non-function {head}")
        return dot if kind == "dot" else head[1]

    def _arg(self, a: Any, dot: Any, scope: list[tuple[str, Any]]) -> Any:
        kind = a[0]
        if kind == "field":
            return self._chain(dot, a[1], [])
        if kind == "var":
            return self._chain(self._var(a[1], scope), a[2], [])
        if kind == "pipe":
            return self._chain(self._pipe(a[1], dot, scope), a[2], [])
        if kind == "dot":
            return dot
        if kind == "ident":
            fn = self.funcs.get(a[1])
            if fn is None:
                raise TemplateError(f'function "{a[1]}" not defined')
            return fn()
        return a[1]

    @staticmethod
    def _var(name: str, scope: list[tuple[str, Any]]) -> Any:
        for n, v in reversed(scope):
            if n == name:
                return v
        raise TemplateError(f"undefined variable: {name}")

    @staticmethod
    def _chain(obj: Any, names: list[str], args: list[Any]) -> Any:
        if not names:
            if args:
                raise TemplateError("can't give argument to non-function")
            return obj
        for i, name in enumerate(names):
            last = i == len(names) - 1
            if obj is None:
                raise TemplateError(f"nil pointer evaluating .{name}")
            if isinstance(obj, dict) and (type(obj) is dict or not hasattr(type(obj), name)):  # methods win
                obj = obj.get(name)
                continue
            attr = getattr(obj, name, _NOTHING)
            if attr is _NOTHING or name.startswith("_"):
                raise TemplateError(f"can't evaluate field {name} in type {type(obj).__name__}")
            if callable(attr):
                obj = attr(*args) if last else attr()
            else:
                if last and args:
                    raise TemplateError(f"{name} is not a method but has arguments")
                obj = attr
        return obj


_NOTHING = object()
