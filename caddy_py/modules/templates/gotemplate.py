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
from typing import Any, Callable
from urllib.parse import quote

from caddy_py.modules.templates.gofmt import go_sprint, go_sprintf
from caddy_py.modules.templates.tplparse import (
    Action, Branch, LoopControl, Node, Parser, Pipe, TemplateCall, TemplateError, Text,
)

__all__ = ["Template", "TemplateError", "truth", "BUILTINS"]


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


def _len(item: Any) -> int:
    """Go's len: a string's length is its UTF-8 byte count."""
    if isinstance(item, str):
        return len(item.encode("utf-8", "surrogateescape"))
    return len(item)


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
    "and": _and, "or": _or, "not": lambda a: not truth(a), "len": _len, "index": _index, "slice": _slice,
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
