"""`--envfile`: KEY=VALUE lines into the environment, as Caddy's loadEnvFromFile."""
from __future__ import annotations

import os


def load_envfile(path: str) -> None:
    from caddy_py.cli import UserError

    try:
        text = open(path, encoding="utf-8").read()
    except OSError as e:
        reason = (e.strerror or str(e)).lower()
        raise UserError(f"loading additional environment variables: reading environment file: open {path}: {reason}") from None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or " " in key:
            raise UserError(f"loading environment file {path}: can't parse line {n}; line should be in KEY=VALUE format")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif "#" in value:
            value = value.split(" #", 1)[0].rstrip()
        os.environ.setdefault(key, value)
