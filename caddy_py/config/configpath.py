"""Reading and changing the config by path, for the admin API's /config/ endpoint (Caddy's
unsyncedConfigAccess): GET reads, POST appends to arrays or sets, PUT inserts (creating objects
on the way), PATCH replaces, DELETE removes. A path ending in `/...` with POST appends every
element of an array body.

The tree is the config wrapped as `{"config": cfg}`, so paths start with `config/`.
"""
from __future__ import annotations

import json
from typing import Any

_MISSING = object()


class ConfigPathError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _index(text: str) -> int:
    """Go's parseCanonicalArrayIndex: a plain decimal, no sign games or leading zeros."""
    try:
        i = int(text)
    except ValueError:
        raise ValueError(f'strconv.Atoi: parsing "{text}": invalid syntax') from None
    if str(i) != text:
        raise ValueError("non-canonical array index")
    return i


def access(root: dict[str, Any], method: str, path: str, body: bytes = b"") -> Any:
    """Apply `method` at `path` of `root` (mutated in place); GET returns the value found."""
    val: Any = None
    if body:
        try:
            val = json.loads(body)
        except ValueError as e:
            raise ConfigPathError(f"decoding request body: {e}") from None
    clean = path.strip("/")
    if not clean:
        raise ConfigPathError("no traversable path")
    parts = clean.split("/")
    ellipses = parts[-1] == "..."
    if ellipses:
        parts = parts[:-1]

    def spread(arr: list[Any]) -> list[Any]:
        if ellipses:
            if not isinstance(val, list):
                raise ConfigPathError("final element is not an array")
            return arr + val
        return arr + [val]

    ptr: Any = root
    for i, part in enumerate(parts):
        if isinstance(ptr, dict):
            arr = ptr.get(part, _MISSING)
            if isinstance(arr, list) and i == len(parts) - 2:
                idx = 0
                if method != "POST":
                    idx_s = parts[-1]
                    try:
                        idx = _index(idx_s)
                    except ValueError as e:
                        raise ConfigPathError(f"[{path}] invalid array index '{idx_s}': {e}") from None
                    if idx < 0 or (method != "PUT" and idx >= len(arr)) or idx > len(arr):
                        raise ConfigPathError(f"[{path}] array index out of bounds: {idx_s}")
                if method == "GET":
                    return arr[idx]
                if method == "POST":
                    ptr[part] = spread(arr)
                elif method == "PUT":
                    arr.insert(idx, val)
                elif method == "PATCH":
                    arr[idx] = val
                elif method == "DELETE":
                    del arr[idx]
                else:
                    raise ConfigPathError(f"unrecognized method {method}")
                return None
            if i == len(parts) - 1:
                cur = ptr.get(part, _MISSING)
                if method == "GET":
                    return None if cur is _MISSING else cur
                if method == "POST":
                    ptr[part] = spread(cur) if isinstance(cur, list) else val
                elif method == "PUT":
                    if cur is not _MISSING:
                        raise ConfigPathError(f"[{path}] key already exists: {part}", 409)
                    ptr[part] = val
                elif method in ("PATCH", "DELETE"):
                    if cur is _MISSING:
                        raise ConfigPathError(f"[{path}] key does not exist: {part}", 404)
                    if method == "PATCH":
                        ptr[part] = val
                    else:
                        del ptr[part]
                else:
                    raise ConfigPathError(f"unrecognized method {method}")
                return None
            nxt = ptr.get(part)
            if nxt is None and method == "PUT":
                nxt = ptr[part] = {}
            ptr = nxt
        elif isinstance(ptr, list):
            try:
                n = _index(part)
            except ValueError as e:
                raise ConfigPathError(f"[/{'/'.join(parts[:i + 1])}] invalid array index '{part}': {e}") from None
            if n < 0 or n >= len(ptr):
                raise ConfigPathError(f"[/{'/'.join(parts[:i + 1])}] array index out of bounds: {part}")
            ptr = ptr[n]
        else:
            raise ConfigPathError(f"invalid traversal path at: {'/'.join(parts[:i + 1])}")
    return None
