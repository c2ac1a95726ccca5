"""The templates `splitFrontMatter` function: YAML (`---` ... `---` or `...`), TOML (`+++`)
or JSON (`{` ... `}`) front matter split from a document (Caddy's templates/frontmatter.go).

The fence must be the first non-blank line; the closing fence is the first line starting with
it. Values come out as Go's decoders give them to a template: YAML as yaml.v3 reads it (only
true/false are booleans, `0o` octals, timestamps as time values printed the Go way), JSON
numbers as floats.
"""
from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from typing import Any, Callable

import yaml

from caddy_py.modules.templates.gofmt import go_value
from caddy_py.modules.templates.gotemplate import TemplateError


class GoTimeValue:
    """A decoded timestamp, printed as Go prints a time.Time (`2024-01-02 00:00:00 +0000 UTC`).
    `zone` names the location of TOML's local dates and times, as BurntSushi/toml does."""

    def __init__(self, when: dt.datetime, zone: str = "") -> None:
        self.when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
        self.zone = zone

    def go_string(self) -> str:
        w = self.when
        frac = f".{w.microsecond:06d}".rstrip("0") if w.microsecond else ""
        off = w.utcoffset() or dt.timedelta(0)
        mins = int(off.total_seconds()) // 60
        sign = "+" if mins >= 0 else "-"
        offset = f"{sign}{abs(mins) // 60:02d}{abs(mins) % 60:02d}"
        zone = self.zone or ("UTC" if mins == 0 else offset)  # an unnamed fixed zone prints its offset
        day = "0000-01-01" if self.zone == "time-local" else w.strftime("%Y-%m-%d")  # Go's zero date
        return f"{day}{w.strftime(' %H:%M:%S')}{frac} {offset} {zone}"

    def Unix(self) -> int:  # noqa: N802 - Go's method name
        return int(self.when.timestamp())


class _YAMLv3Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's scalars, as yaml.v3 resolves them into interface{}."""


_YAMLv3Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:bool"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YAMLv3Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
_YAMLv3Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^0o[0-7]+$"), ["0"])
_YAMLv3Loader.add_constructor(
    "tag:yaml.org,2002:int",
    lambda loader, node: int(node.value[2:], 8) if node.value.startswith("0o")
    else yaml.SafeLoader.construct_yaml_int(loader, node))


def _go_values(v: Any, local_zones: bool = False) -> Any:
    """Decoded values as Go's decoders hand them over: timestamps as time values (TOML's local
    ones in BurntSushi/toml's named locations, YAML's in UTC)."""
    if isinstance(v, dict):
        return {k if isinstance(k, (str, int, float, bool)) else str(k): _go_values(x, local_zones)
                for k, x in v.items()}
    if isinstance(v, list):
        return [_go_values(x, local_zones) for x in v]
    if isinstance(v, dt.datetime):
        return GoTimeValue(v, "datetime-local" if local_zones and v.tzinfo is None else "")
    if isinstance(v, dt.date):
        return GoTimeValue(dt.datetime(v.year, v.month, v.day), "date-local" if local_zones else "")
    if isinstance(v, dt.time) and local_zones:
        return GoTimeValue(dt.datetime(1, 1, 1, v.hour, v.minute, v.second, v.microsecond), "time-local")
    return v


def _yaml(text: str) -> dict[str, Any]:
    try:
        data = yaml.load(text, Loader=_YAMLv3Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as e:
        raise TemplateError(f"yaml: {getattr(e, 'problem', None) or e}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise TemplateError(f"yaml: unmarshal errors:\n  cannot unmarshal into map[string]interface {{}}")
    return _go_values(data)


def _toml(text: str) -> dict[str, Any]:
    try:
        return _go_values(tomllib.loads(text), local_zones=True)
    except tomllib.TOMLDecodeError as e:
        raise TemplateError(f"toml: {e}") from None


def _json(text: str) -> dict[str, Any]:
    try:
        data = json.loads("{" + text + "}", parse_int=float)
    except json.JSONDecodeError as e:
        raise TemplateError(str(e)) from None
    return data


_TYPES: list[tuple[str, tuple[str, ...], Callable[[str], dict[str, Any]]]] = [
    ("---", ("---", "..."), _yaml),
    ("+++", ("+++",), _toml),
    ("{", ("}",), _json),
]


class ParsedDoc:
    """What splitFrontMatter returns: `.Meta` (a map) and `.Body`."""

    def __init__(self, meta: dict[str, Any] | None, body: str) -> None:
        self.Meta = meta if meta is not None else {}
        self.Body = body

    def go_string(self) -> str:
        return "{" + go_value(self.Meta) + " " + self.Body + "}"


def _first_line_bounds(text: str) -> tuple[int, int]:
    """Where the first non-blank line is, as Caddy finds it (the line must end in '\\n')."""
    start = end = 0
    empty = True
    for i, ch in enumerate(text):
        if ch == "\n":
            start = end + 1 if end > 0 else end
            end = i
            if not empty:
                break
            continue
        empty = empty and ch.isspace()
    return start, end


def split_front_matter(text: Any) -> ParsedDoc:
    text = text if isinstance(text, str) else go_value(text)
    start, end = _first_line_bounds(text)
    first = text[start:end].strip()
    for fence_open, closers, parse in _TYPES:
        if first != fence_open:
            continue
        for fence in closers:
            idx = text.find("\n" + fence, end)
            if idx >= 0:
                front = text[end:idx + 1]
                return ParsedDoc(parse(front), text[idx + 1 + len(fence):])
        raise TemplateError("unterminated front matter")
    return ParsedDoc(None, text)
