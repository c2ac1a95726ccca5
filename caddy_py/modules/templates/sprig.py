"""The most used sprig template functions (Caddy adds sprig's TxtFuncMap to every template)."""
from __future__ import annotations

from typing import Any, Callable

from caddy_py.modules.templates.gofmt import go_sprint, go_value


def _empty(v: Any) -> bool:
    return v is None or v is False or v == 0 or (hasattr(v, "__len__") and len(v) == 0)


def _default(dflt: Any, *given: Any) -> Any:
    return dflt if not given or _empty(given[0]) else given[0]


def _to_int(v: Any) -> int:
    try:
        return int(float(v)) if isinstance(v, (str, float)) else int(v or 0)
    except (TypeError, ValueError):
        return 0


def _indent(n: int, s: str) -> str:
    pad = " " * n
    return pad + s.replace("\n", "\n" + pad)


def _title(s: str) -> str:
    out, prev = [], " "
    for ch in s:
        out.append(ch.upper() if not prev.isalnum() and prev not in "'_" else ch)
        prev = ch
    return "".join(out)


SPRIG: dict[str, Callable[..., Any]] = {
    "upper": lambda s: go_value(s).upper(), "lower": lambda s: go_value(s).lower(),
    "title": lambda s: _title(go_value(s)),
    "trim": lambda s: go_value(s).strip(), "trimAll": lambda cut, s: go_value(s).strip(cut),
    "trimPrefix": lambda p, s: s[len(p):] if s.startswith(p) else s,
    "trimSuffix": lambda p, s: s[:-len(p)] if p and s.endswith(p) else s,
    "replace": lambda old, new, s: s.replace(old, new), "repeat": lambda n, s: s * int(n),
    "contains": lambda sub, s: sub in s, "hasPrefix": lambda p, s: s.startswith(p),
    "hasSuffix": lambda p, s: s.endswith(p), "quote": lambda *a: " ".join('"' + go_value(x) + '"' for x in a),
    "squote": lambda *a: " ".join("'" + go_value(x) + "'" for x in a), "cat": lambda *a: " ".join(
        go_value(x) for x in a if x is not None),
    "indent": _indent, "nindent": lambda n, s: "\n" + _indent(n, s),
    "default": _default, "empty": _empty, "coalesce": lambda *a: next((x for x in a if not _empty(x)), None),
    "ternary": lambda t, f, cond: t if cond else f, "toString": go_sprint,
    "join": lambda sep, items: sep.join(go_value(x) for x in items), "splitList": lambda sep, s: s.split(sep),
    "list": lambda *a: list(a), "dict": lambda *a: {go_value(a[i]): a[i + 1] if i + 1 < len(a) else ""
                                                     for i in range(0, len(a), 2)},
    "first": lambda items: items[0] if items else None, "last": lambda items: items[-1] if items else None,
    "has": lambda needle, items: needle in items, "keys": lambda *ds: [k for d in ds for k in d],
    "add": lambda *a: sum(_to_int(x) for x in a), "sub": lambda a, b: _to_int(a) - _to_int(b),
    "mul": lambda *a: _product(a), "div": lambda a, b: int(_to_int(a) / _to_int(b)),
    "mod": lambda a, b: _to_int(a) % _to_int(b), "max": lambda *a: max(_to_int(x) for x in a),
    "min": lambda *a: min(_to_int(x) for x in a), "atoi": _to_int, "int": _to_int,
    "until": lambda n: list(range(_to_int(n))), "seq": lambda *a: " ".join(str(i) for i in _seq(*a)),
}


def _product(a: tuple[Any, ...]) -> int:
    out = 1
    for x in a:
        out *= _to_int(x)
    return out


def _seq(*a: Any) -> range:
    n = [_to_int(x) for x in a]
    if len(n) == 1:
        return range(1, n[0] + 1)
    if len(n) == 2:
        return range(n[0], n[1] + (1 if n[1] >= n[0] else -1), 1 if n[1] >= n[0] else -1)
    return range(n[0], n[2] + (1 if n[1] > 0 else -1), n[1])
