"""http.matchers.expression: the slice of CEL that Caddyfiles produce.

Supported: literals (ints, floats, 'strings', "strings", true/false/null, [lists], {maps}),
placeholders `{http.error.status_code}` (typed values: an int stays an int), `!`, `-`, `&&`,
`||`, `==`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `+ - * / %`, `c ? a : b`, parentheses,
`.startsWith() .endsWith() .contains() .matches() .size()`, `size(x)`, `int(x)`, `string(x)`,
and matcher calls with literal arguments that run the real matcher modules: `path('/a', '/b')`,
`host(...)`, `method(...)`, `header({'X': 'y'})`, `query({...})`, `protocol('https')`,
`remote_ip(...)`, `client_ip(...)`, `vars({...})`, `path_regexp(['name',] 'pattern')`,
`header_regexp(['name',] 'Field', 'pattern')`, `file({...})` / `file('a', 'b')`.
Anything else is a config error when loading, never a silent mismatch.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from caddy_py.config.context import ConfigError
from caddy_py.config.registry import register

Eval = Callable[[Any], Any]

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<ph>\{[A-Za-z_][^{}\s'"]*\})
  | (?P<num>\d+\.\d+|\d+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<op>&&|\|\||==|!=|<=|>=|[-+*/%<>!?:.,()\[\]{}])
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)


def _tokens(src: str) -> list[tuple[str, str]]:
    out, i = [], 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            raise ConfigError(f"expression: unexpected character {src[i]!r} at {i} in: {src}")
        i = m.end()
        if m.lastgroup != "ws":
            out.append((m.lastgroup or "", m.group()))
    out.append(("end", ""))
    return out


def _unquote(s: str) -> str:
    body = s[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)


_BINARY: dict[str, tuple[int, Callable[[Any, Any], Any]]] = {
    "==": (3, lambda a, b: a == b), "!=": (3, lambda a, b: a != b),
    "<": (4, lambda a, b: a < b), "<=": (4, lambda a, b: a <= b),
    ">": (4, lambda a, b: a > b), ">=": (4, lambda a, b: a >= b),
    "in": (4, lambda a, b: a in b),
    "+": (5, lambda a, b: a + b), "-": (5, lambda a, b: a - b),
    "*": (6, lambda a, b: a * b), "/": (6, lambda a, b: a // b if isinstance(a, int) and isinstance(b, int) else a / b),
    "%": (6, lambda a, b: a % b),
}

_METHODS: dict[str, Callable[..., Any]] = {
    "startsWith": lambda s, p: str(s).startswith(p),
    "endsWith": lambda s, p: str(s).endswith(p),
    "contains": lambda s, p: p in str(s),
    "matches": lambda s, p: re.search(p, str(s)) is not None,
    "size": lambda s: len(s),
}

_MATCHER_CALLS = {"path", "host", "method", "header", "query", "protocol", "remote_ip", "client_ip",
                  "vars", "path_regexp", "header_regexp", "file", "vars_regexp"}


class _Parser:
    def __init__(self, src: str, matchers: list[tuple[str, Any]], loaded: list[Any]) -> None:
        self.src = src
        self.toks = _tokens(src)
        self.i = 0
        self.matchers = matchers  # (module name, json cfg) to load; filled while parsing
        self.loaded = loaded  # the loaded matcher modules, filled in at provision time

    def peek(self) -> tuple[str, str]:
        return self.toks[self.i]

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.toks[self.i]
        if value is not None and tok[1] != value:
            raise ConfigError(f"expression: expected {value!r}, got {tok[1]!r} in: {self.src}")
        self.i += 1
        return tok

    def parse(self) -> Eval:
        e = self.ternary()
        if self.peek()[0] != "end":
            raise ConfigError(f"expression: unexpected {self.peek()[1]!r} in: {self.src}")
        return e

    def ternary(self) -> Eval:
        cond = self.or_()
        if self.peek()[1] == "?":
            self.take()
            a = self.ternary()
            self.take(":")
            b = self.ternary()
            return lambda r: a(r) if cond(r) else b(r)
        return cond

    def or_(self) -> Eval:
        left = self.and_()
        while self.peek()[1] == "||":
            self.take()
            right = self.and_()
            left = (lambda l, rr: lambda r: bool(l(r)) or bool(rr(r)))(left, right)
        return left

    def and_(self) -> Eval:
        left = self.binary(3)
        while self.peek()[1] == "&&":
            self.take()
            right = self.binary(3)
            left = (lambda l, rr: lambda r: bool(l(r)) and bool(rr(r)))(left, right)
        return left

    def binary(self, min_prec: int) -> Eval:
        left = self.unary()
        while True:
            op = self.peek()[1]
            spec = _BINARY.get(op)
            if spec is None or spec[0] < min_prec:
                return left
            self.take()
            right = self.binary(spec[0] + 1)
            left = (lambda fn, l, rr: lambda r: fn(l(r), rr(r)))(spec[1], left, right)

    def unary(self) -> Eval:
        op = self.peek()[1]
        if op == "!":
            self.take()
            e = self.unary()
            return lambda r: not e(r)
        if op == "-":
            self.take()
            e = self.unary()
            return lambda r: -e(r)
        return self.postfix()

    def postfix(self) -> Eval:
        e = self.primary()
        while self.peek()[1] == ".":
            self.take()
            name = self.take()[1]
            fn = _METHODS.get(name)
            if fn is None:
                raise ConfigError(f"expression: unsupported method {name}() in: {self.src}")
            args = self.call_args()
            e = (lambda fn, e, args: lambda r: fn(e(r), *(a(r) for a in args)))(fn, e, args)
        return e

    def call_args(self) -> list[Eval]:
        self.take("(")
        args: list[Eval] = []
        while self.peek()[1] != ")":
            args.append(self.ternary())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return args

    def literal_args(self) -> list[Any]:
        """Arguments of a matcher call: must be constants."""
        return [a(None) for a in self.call_args()]

    def primary(self) -> Eval:
        kind, text = self.take()
        if kind == "num":
            v: Any = float(text) if "." in text else int(text)
            return lambda r: v
        if kind == "str":
            s = _unquote(text)
            return lambda r: s
        if kind == "ph":
            key = text[1:-1]
            return lambda r: r.replacer.get(key)[0]
        if text == "(":
            e = self.ternary()
            self.take(")")
            return e
        if text == "[":
            items: list[Eval] = []
            while self.peek()[1] != "]":
                items.append(self.ternary())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return lambda r: [i(r) for i in items]
        if text == "{":
            pairs: list[tuple[Eval, Eval]] = []
            while self.peek()[1] != "}":
                k = self.ternary()
                self.take(":")
                pairs.append((k, self.ternary()))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return lambda r: {k(r): v(r) for k, v in pairs}
        if kind == "id":
            if text in ("true", "false"):
                b = text == "true"
                return lambda r: b
            if text == "null":
                return lambda r: None
            if self.peek()[1] == "(":
                return self.call(text)
        raise ConfigError(f"expression: unexpected {text!r} in: {self.src}")

    def call(self, name: str) -> Eval:
        if name in ("size", "int", "string", "double"):
            (arg,) = self.call_args()
            fn = {"size": len, "int": int, "string": str, "double": float}[name]
            return lambda r: fn(arg(r))
        if name not in _MATCHER_CALLS:
            raise ConfigError(f"expression: unsupported function {name}() in: {self.src}")
        idx = len(self.matchers)
        self.matchers.append((name, _matcher_json(name, self.literal_args(), self.src)))
        loaded = self.loaded
        return lambda r: loaded[idx].match(r)


def _as_list(args: list[Any]) -> list[Any]:
    return [x for a in args for x in (a if isinstance(a, list) else [a])]


def _matcher_json(name: str, args: list[Any], src: str) -> Any:
    if name in ("path", "host", "method"):
        return [str(a) for a in _as_list(args)]
    if name in ("remote_ip", "client_ip"):
        return {"ranges": [str(a) for a in _as_list(args)]}
    if name == "protocol":
        return str(args[0]) if args else ""
    if name in ("header", "query", "vars"):
        m = args[0] if args and isinstance(args[0], dict) else {}
        return {k: (v if isinstance(v, list) else [v]) for k, v in m.items()}
    if name == "path_regexp":
        return {"name": args[0], "pattern": args[1]} if len(args) == 2 else {"pattern": args[0]}
    if name == "header_regexp":
        if len(args) == 3:
            return {args[1]: {"name": args[0], "pattern": args[2]}}
        return {args[0]: {"pattern": args[1]}}
    if name == "vars_regexp":
        if len(args) == 3:
            return {args[1]: {"name": args[0], "pattern": args[2]}}
        return {args[0]: {"pattern": args[1]}}
    if name == "file":
        if args and isinstance(args[0], dict):
            return args[0]
        return {"try_files": [str(a) for a in args]}
    raise ConfigError(f"expression: unsupported matcher {name}() in: {src}")


@register("http.matchers.expression")
class MatchExpression:
    def __init__(self, expr: str, name: str = "") -> None:
        self.expr = expr
        self.name = name
        self._calls: list[tuple[str, Any]] = []
        self._loaded: list[Any] = []
        self._eval = _Parser(expr, self._calls, self._loaded).parse()

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any) -> "MatchExpression":
        if isinstance(cfg, dict):
            return cls(str(cfg.get("expr", "")), str(cfg.get("name", "")))
        if isinstance(cfg, str):
            return cls(cfg)
        raise ConfigError("expression matcher: expected a string or an object")

    async def provision(self, ctx: Any) -> None:
        self._loaded[:] = [await ctx.load_by_id(f"http.matchers.{n}", c) for n, c in self._calls]

    def match(self, req: Any) -> bool:
        try:
            return self._eval(req) is True
        except (TypeError, ValueError, KeyError, ZeroDivisionError, re.error):
            return False
