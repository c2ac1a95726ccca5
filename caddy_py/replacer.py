"""Placeholders: one Replacer per request with Caddy's vocabulary (`{http.request.uri}`,
`{remote_host}` shorthands are expanded by the adapter, so the runtime sees the long forms).

Interface (Caddy's caddy.Replacer, snake_case) — owned by the runtime core:
    r.set(key, value); r.get(key) -> (value, found); r.delete(key)
    r.map(provider)                      # provider(key) -> (value, found), consulted in order
    r.replace_all(s, empty="")           # unknown placeholders -> `empty`
    r.replace_known(s, empty="")         # unknown placeholders stay as written
    r.replace_or_err(s, err_on_empty, err_on_unknown)
Values are converted to text as Caddy does (bools lower-case, lists joined with ",").
"""
from __future__ import annotations
