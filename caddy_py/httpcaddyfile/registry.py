"""Registries that directive and global-option parsers add themselves to (Caddy's
RegisterDirective / RegisterHandlerDirective / RegisterGlobalOption / RegisterDirectiveOrder).

Parsers live with their module (`caddy_py/modules/NAME/caddyfile.py`) and register at import.

* `@directive("name")`: `fn(h: Helper) -> list[ConfigValue]`; `h` is positioned before the
  directive token, exactly as Caddy's UnmarshalFunc.
* `@handler_directive("name")`: `fn(h: Helper) -> dict` returning the handler's JSON object
  (with its "handler" key); the wrapper consumes the directive name, extracts the optional
  matcher token first and wraps the result in a route, as Caddy's RegisterHandlerDirective.
* `@global_option("name")`: `fn(d: Dispenser, existing: Any) -> Any`; `d` positioned before the
  option name; `existing` is the value from an earlier occurrence (or None).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from caddy_py.caddyfile.dispenser import Dispenser
    from caddy_py.httpcaddyfile.helper import Helper


@dataclass(slots=True)
class ConfigValue:
    """One piece of config a directive produces: `cls` says where it goes ("route", "bind",
    "tls.connection_policy", "tls.cert_issuer", "custom_log", "error_route", "named_route", ...)."""

    cls: str
    value: Any
    directive: str = ""


DirectiveFunc = Callable[["Helper"], list[ConfigValue]]
HandlerDirectiveFunc = Callable[["Helper"], dict]
GlobalOptionFunc = Callable[["Dispenser", Any], Any]

DIRECTIVES: dict[str, DirectiveFunc] = {}
GLOBAL_OPTIONS: dict[str, GlobalOptionFunc] = {}


def directive(name: str) -> Callable[[DirectiveFunc], DirectiveFunc]:
    def deco(fn: DirectiveFunc) -> DirectiveFunc:
        if name in DIRECTIVES:
            raise RuntimeError(f"directive {name} already registered")
        DIRECTIVES[name] = fn
        return fn

    return deco


def handler_directive(name: str) -> Callable[[HandlerDirectiveFunc], HandlerDirectiveFunc]:
    def deco(fn: HandlerDirectiveFunc) -> HandlerDirectiveFunc:
        def setup(h: "Helper") -> list[ConfigValue]:
            if not h.next():
                raise h.arg_err()
            matcher_set = h.extract_matcher_set()
            value = fn(h)
            return h.new_route(matcher_set, value)

        directive(name)(setup)
        return fn

    return deco


def global_option(name: str) -> Callable[[GlobalOptionFunc], GlobalOptionFunc]:
    def deco(fn: GlobalOptionFunc) -> GlobalOptionFunc:
        if name in GLOBAL_OPTIONS:
            raise RuntimeError(f"global option {name} already registered")
        GLOBAL_OPTIONS[name] = fn
        return fn

    return deco


# Directives registered by plugins go after this standard directive unless `order` says otherwise
# (Caddy's RegisterDirectiveOrder); filled by modules, consumed by the adapter's ordering.
DIRECTIVE_ORDER_EXTRA: list[tuple[str, str, str]] = []  # (directive, "before"|"after", standard)


def directive_order(name: str, position: str, standard: str) -> None:
    DIRECTIVE_ORDER_EXTRA.append((name, position, standard))
