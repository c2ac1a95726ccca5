"""Request matchers in the Caddyfile: named matcher definitions (`@name ...`), matcher tokens
after a directive, and each matcher module's Caddyfile unmarshaler (caddyhttp/matchers.go,
ip_matchers.go, celmatcher.go, vars.go, urlpatternmatcher.go, fileserver/matcher.go).

A matcher's value is built in the key order Go prints it: struct field order for struct
matchers, sorted keys for map matchers.
"""
from __future__ import annotations

import re
from typing import Any, Callable

from caddy_py.caddyfile.dispenser import MATCHER_NAME_CTX_KEY, Dispenser
from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.caddyfile.token import Token

MatcherSet = dict[str, Any]
Unmarshaler = Callable[[Dispenser], Any]

PRIVATE_RANGES = ["192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8", "127.0.0.1/8", "fd00::/8", "::1"]


_HEADER_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]*\Z")


def canonical_header_key(key: str) -> str:
    """Go's textproto.CanonicalMIMEHeaderKey: a key of token characters gets each letter upper
    case at the start and after a dash, lower case elsewhere; any other key stays as it is."""
    if not _HEADER_TOKEN.match(key):
        return key
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def _list_matcher(kind: str) -> Unmarshaler:
    def parse(d: Dispenser) -> list[str] | None:
        out: list[str] = []
        while d.next():
            out.extend(d.remaining_args())
            if d.next_block(0):
                raise d.err(f"malformed {kind} matcher: blocks are not supported")
        return out or None  # Go's nil slice: `path` alone prints null

    return parse


def _sorted_map(m: dict) -> dict:
    return {k: m[k] for k in sorted(m)}


def parse_query(d: Dispenser) -> dict:
    m: dict[str, list[str]] = {}
    while d.next():
        for q in d.remaining_args():
            if q == "":
                continue
            before, sep, after = q.partition("=")
            if not sep:
                raise d.err(f"malformed query matcher token: {d.val()}; must be in param=val format")
            m.setdefault(before, []).append(after)
        if d.next_block(0):
            raise d.err("malformed query matcher: blocks are not supported")
    return _sorted_map(m)


def parse_header(d: Dispenser) -> dict:
    m: dict[str, list[str] | None] = {}
    while d.next():
        args = d.args(1)
        if args is None:
            raise d.err("malformed header matcher: expected field")
        field = args[0]
        if field.startswith("!"):
            if len(field) == 1:
                raise d.err("malformed header matcher: must have field name following ! character")
            m[field[1:]] = None
            if d.next_arg():
                raise d.err("malformed header matcher: null matching headers cannot have a field value")
        else:
            if not d.next_arg():
                raise d.err("malformed header matcher: expected both field and value")
            key = canonical_header_key(field)
            cur = m.get(key)
            m[key] = (cur or []) + [d.val()]
        if d.next_block(0):
            raise d.err("malformed header matcher: blocks are not supported")
    return _sorted_map(m)


def _regexp(name: str, pattern: str) -> dict:
    out: dict[str, Any] = {}
    if name:
        out["name"] = name
    out["pattern"] = pattern
    return out


def _field_regexp_matcher(kind: str, once: bool) -> Unmarshaler:
    def parse(d: Dispenser) -> dict:
        m: dict[str, dict] = {}
        while d.next():
            first = d.args(2)
            if first is None:
                raise d.arg_err()
            third = d.args(1)
            if third is not None:
                name, field, val = first[0], first[1], third[0]
            else:
                name, field, val = "", first[0], first[1]
            if not name:
                name = d.get_context_string(MATCHER_NAME_CTX_KEY)
            if once and field in m:
                raise d.err(f"header_regexp matcher can only be used once per named matcher, per header field: {field}")
            m[field] = _regexp(name, val)
            if d.next_block(0):
                raise d.err(f"malformed {kind} matcher: blocks are not supported")
        return _sorted_map(m)

    return parse


def parse_path_regexp(d: Dispenser) -> dict:
    name, pattern = "", ""
    while d.next():
        if pattern:
            raise d.err("regular expression can only be used once per named matcher")
        args = d.remaining_args()
        if len(args) == 1:
            pattern = args[0]
        elif len(args) == 2:
            name, pattern = args
        else:
            raise d.arg_err()
        if not name:
            name = d.get_context_string(MATCHER_NAME_CTX_KEY)
        if d.next_block(0):
            raise d.err("malformed path_regexp matcher: blocks are not supported")
    return _regexp(name, pattern)


def parse_protocol(d: Dispenser) -> str:
    proto = ""
    while d.next():
        args = d.args(1)
        if args is None:
            raise d.err("expected exactly one protocol")
        proto = args[0]
    return proto


def parse_tls(d: Dispenser) -> dict:
    out: dict[str, Any] = {}
    while d.next():
        if d.next_arg():
            if d.val() == "early_data":
                out["handshake_complete"] = False
            else:
                raise d.err(f"unrecognized option '{d.val()}'")
        if d.next_arg():
            raise d.arg_err()
        if d.next_block(0):
            raise d.err("malformed tls matcher: blocks are not supported yet")
    return out


def _ip_matcher(kind: str) -> Unmarshaler:
    def parse(d: Dispenser) -> dict:
        ranges: list[str] = []
        while d.next():
            while d.next_arg():
                if kind == "remote_ip" and d.val() == "forwarded":
                    raise d.err("the 'forwarded' option is no longer supported; use the 'client_ip' matcher instead")
                if d.val() == "private_ranges":
                    ranges.extend(PRIVATE_RANGES)
                    continue
                ranges.append(d.val())
            if d.next_block(0):
                raise d.err(f"malformed {kind} matcher: blocks are not supported")
        return {"ranges": ranges} if ranges else {}

    return parse


def parse_expression(d: Dispenser) -> Any:
    d.next()
    if d.count_remaining_args() > 1:
        return " ".join(d.remaining_args_raw())  # no name: Go marshals the bare string
    if not d.next_arg():
        raise d.arg_err()
    expr = d.val()
    name = d.get_context_string(MATCHER_NAME_CTX_KEY)
    if not name:
        return expr
    return {"expr": expr, "name": name}


def parse_vars(d: Dispenser) -> dict:
    m: dict[str, list[str]] = {}
    while d.next():
        args = d.args(1)
        if args is None:
            raise d.err("malformed vars matcher: expected field name")
        vals = d.remaining_args()
        if not vals:
            raise d.err("malformed vars matcher: expected at least one value to match against")
        m.setdefault(args[0], []).extend(vals)
        if d.next_block(0):
            raise d.err("malformed vars matcher: blocks are not supported")
    return _sorted_map(m)


def parse_file(d: Dispenser) -> dict:
    fs, root, try_files, try_policy, split_path = "", "", [], "", []
    while d.next():
        try_files.extend(d.remaining_args())
        while d.next_block(0):
            v = d.val()
            if v == "root":
                if not d.next_arg():
                    raise d.arg_err()
                root = d.val()
            elif v == "try_files":
                try_files.extend(d.remaining_args())
                if not try_files:
                    raise d.arg_err()
            elif v == "try_policy":
                if not d.next_arg():
                    raise d.arg_err()
                try_policy = d.val()
            elif v == "split_path":
                split_path = d.remaining_args()
                if not split_path:
                    raise d.arg_err()
            else:
                raise d.err(f"unrecognized subdirective: {v}")
    out: dict[str, Any] = {}
    for k, v in (("fs", fs), ("root", root), ("try_files", try_files), ("try_policy", try_policy),
                 ("split_path", split_path)):
        if v:
            out[k] = v
    return out


def parse_url_pattern(d: Dispenser) -> dict:
    pattern, base_url, ignore_case = "", "", False
    while d.next():
        args = d.args(1)
        if args is None:
            raise d.err("expected exactly one URL pattern")
        pattern = args[0]
        while d.next_block(0):
            if d.val() == "base_url":
                a = d.args(1)
                if a is None:
                    raise d.arg_err()
                base_url = a[0]
            elif d.val() == "ignore_case":
                if d.next_arg():
                    raise d.arg_err()
                ignore_case = True
            else:
                raise d.err(f"unrecognized url_pattern option '{d.val()}'")
    out: dict[str, Any] = {}
    if pattern:
        out["pattern"] = pattern
    if base_url:
        out["base_url"] = base_url
    if ignore_case:
        out["ignore_case"] = True
    return out


def parse_not(d: Dispenser) -> list[dict]:
    sets = []
    while d.next():
        sets.append(parse_nested_matcher_set(d))
    return sets


MATCHERS: dict[str, Unmarshaler] = {
    "host": _list_matcher("host"),
    "path": _list_matcher("path"),
    "method": _list_matcher("method"),
    "query": parse_query,
    "header": parse_header,
    "header_regexp": _field_regexp_matcher("header_regexp", True),
    "path_regexp": parse_path_regexp,
    "protocol": parse_protocol,
    "tls": parse_tls,
    "not": parse_not,
    "remote_ip": _ip_matcher("remote_ip"),
    "client_ip": _ip_matcher("client_ip"),
    "expression": parse_expression,
    "vars": parse_vars,
    "vars_regexp": _field_regexp_matcher("vars_regexp", False),
    "file": parse_file,
    "url_pattern": parse_url_pattern,
}


def _group_tokens_by_matcher(d: Dispenser, quoted_is_expression: bool) -> dict[str, list[Token]]:
    by_name: dict[str, list[Token]] = {}
    nesting = d.nesting
    while d.next_arg() or d.next_block(nesting):
        if quoted_is_expression and d.token().quoted:
            expr_tok = d.token().clone()
            expr_tok.text = "expression"
            by_name.setdefault("expression", []).extend([expr_tok, d.token()])
            continue
        by_name.setdefault(d.val(), []).extend(d.next_segment())
    return by_name


def _unmarshal(d: Dispenser, name: str, tokens: list[Token], matcher_name: str | None) -> Any:
    fn = MATCHERS.get(name)
    if fn is None:
        raise d.err(f"getting matcher module '{name}': module not registered: http.matchers.{name}")
    sub = Dispenser(tokens)
    if matcher_name is not None:
        sub.set_context(MATCHER_NAME_CTX_KEY, matcher_name)
    return fn(sub)


def parse_nested_matcher_set(d: Dispenser) -> dict:
    """caddyhttp.ParseCaddyfileNestedMatcherSet: the matchers on this line or in its block."""
    by_name = _group_tokens_by_matcher(d, True)
    out = {}
    for name, tokens in by_name.items():
        out[name] = _unmarshal(d, name, tokens, None)
    return {k: out[k] for k in sorted(out)}


def parse_matcher_definitions(d: Dispenser, matchers: dict[str, MatcherSet]) -> None:
    """Record the named matcher defined by this segment (`@name ...`) into `matchers`."""
    d.next()
    definition = d.val()
    if definition in matchers:
        raise CaddyfileError(f"matcher is defined more than once: {definition}")
    ms: MatcherSet = {}
    matchers[definition] = ms

    def make(name: str, tokens: list[Token]) -> None:
        fn = MATCHERS.get(name)
        if fn is None:
            raise CaddyfileError(f"getting matcher module '{name}': module not registered: http.matchers.{name}")
        sub = Dispenser(tokens)
        sub.set_context(MATCHER_NAME_CTX_KEY, definition[1:])
        ms[name] = fn(sub)

    if d.next_arg():
        if d.token().quoted:
            expr_tok = d.token().clone()
            expr_tok.text = "expression"
            make("expression", [expr_tok, d.token()])
            return
        d.prev()
    by_name: dict[str, list[Token]] = {}
    nesting = d.nesting
    while d.next_arg() or d.next_block(nesting):
        by_name.setdefault(d.val(), []).extend(d.next_segment())
    for name, tokens in by_name.items():
        make(name, tokens)


def matcher_set_from_matcher_token(tkn: Token, matcher_defs: dict[str, MatcherSet]) -> tuple[MatcherSet | None, bool]:
    """`*` → (None, True); `/path` → a path matcher; `@name` → its definition; else (None, False)."""
    if tkn.text == "*":
        return None, True
    if tkn.text.startswith("/"):
        return {"path": [tkn.text]}, True
    if tkn.text.startswith("@"):
        m = matcher_defs.get(tkn.text)
        if m is None:
            raise CaddyfileError(f"unrecognized matcher name: {tkn.text}")
        return m, True
    return None, False
