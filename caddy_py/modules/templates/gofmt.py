"""Go's fmt for template output: `%v` rendering of values, Sprint spacing, a Sprintf subset."""
from __future__ import annotations

import math
import re
from typing import Any


def go_value(v: Any) -> str:
    """fmt's %v."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (bytes, bytearray)):
        return "[" + " ".join(str(b) for b in v) + "]"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(go_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{go_value(k)}:{go_value(v[k])}" for k in sorted(v, key=str)) + "]"
    text = getattr(v, "go_string", None)
    if callable(text):
        return str(text())
    return str(v)


def _go_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64) as %v prints it (exponent below 1e-4 or from 1e21)."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    exp = math.floor(math.log10(abs(f)))
    if -4 <= exp < 21:
        text = repr(f)
        if "e" in text:
            text = format(f, "f")
        return text[:-2] if text.endswith(".0") else text
    mant, _, e = repr(f).partition("e")
    if not e:
        mant, _, e = format(f, "e").partition("e")
        mant = mant.rstrip("0").rstrip(".")
    ev = int(e)
    return f"{mant}e{'+' if ev >= 0 else '-'}{abs(ev):02d}"


def go_sprint(*args: Any) -> str:
    """fmt.Sprint: spaces between operands when neither side is a string."""
    out = []
    for i, a in enumerate(args):
        if i > 0 and not isinstance(a, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(go_value(a))
    return "".join(out)


_VERB = re.compile(r"%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])")


def go_sprintf(fmt: str, *args: Any) -> str:
    """fmt.Sprintf for the common verbs: v s d q x X f e g t c %%; bad or missing args as Go."""
    out = []
    pos = 0
    ai = 0
    for m in _VERB.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, verb = m.group(1), m.group(2), m.group(3), m.group(4)
        if verb == "%":
            out.append("%")
            continue
        if ai >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        a = args[ai]
        ai += 1
        text = _one(verb, a, prec)
        if width and width != "*":
            w = int(width)
            text = text.ljust(w) if "-" in flags else (text.rjust(w, "0") if "0" in flags and verb in "dfxX"
                                                        else text.rjust(w))
        out.append(text)
    out.append(fmt[pos:])
    if ai < len(args):
        out.append("%!(EXTRA " + ", ".join(f"{_type(a)}={go_value(a)}" for a in args[ai:]) + ")")
    return "".join(out)


def _type(a: Any) -> str:
    return {bool: "bool", int: "int", float: "float64", str: "string"}.get(type(a), type(a).__name__)


def _one(verb: str, a: Any, prec: str | None) -> str:
    if verb in "vs":
        return go_value(a)
    if verb == "q":
        return '"' + go_value(a).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if verb == "t":
        return go_value(a) if isinstance(a, bool) else f"%!t({_type(a)}={go_value(a)})"
    if verb == "d":
        return str(a) if isinstance(a, int) and not isinstance(a, bool) else f"%!d({_type(a)}={go_value(a)})"
    if verb in "xX":
        if isinstance(a, int):
            text = format(a, "x")
        else:
            text = go_value(a).encode().hex()
        return text.upper() if verb == "X" else text
    if verb == "c":
        return chr(a) if isinstance(a, int) else f"%!c({_type(a)}={go_value(a)})"
    if verb in "feEgG":
        if not isinstance(a, (int, float)) or isinstance(a, bool):
            return f"%!{verb}({_type(a)}={go_value(a)})"
        if verb in "gG" and prec is None:
            return _go_float(float(a))
        p = int(prec) if prec and prec != "*" else 6
        return format(float(a), f".{p}{verb}")
    return f"%!{verb}({_type(a)}={go_value(a)})"
