"""`{$NAME}` / `{$NAME:default}` substitution on the raw bytes, before lexing (parse.go
replaceEnvVars): the value is spliced in unscanned, so it may become several tokens."""
from __future__ import annotations

import os


def replace_env_vars(data: bytes) -> bytes:
    out = data
    offset = 0
    while True:
        begin = out.find(b"{$", offset)
        if begin < 0:
            return out
        end = out.find(b"}", begin + 2)
        if end < 0:
            return out
        name = out[begin + 2: end]
        if not name:
            offset = end + 1
            continue
        key, sep, default = name.partition(b":")
        value = _lookup(key)
        if value is None:
            value = default if sep else b""
        out = out[:begin] + value + out[end + 1:]
        offset = begin + len(value)


def _lookup(key: bytes) -> bytes | None:
    if os.supports_bytes_environ:
        return os.environb.get(key)
    value = os.environ.get(key.decode("utf-8", "surrogateescape"))
    return None if value is None else value.encode("utf-8", "surrogateescape")
