"""Caddy's file storage: `$XDG_DATA_HOME/caddy` when XDG_DATA_HOME is set, else
`$HOME/.local/share/caddy` (as Caddy on Linux), or the config's `storage.root` (file_system).

Layout (as certmagic/Caddy write it): `pki/authorities/<ca>/{root,intermediate}.{crt,key}`,
`certificates/<issuer>/<name>/<name>.{crt,key,json}` with `*` written as `wildcard_`.
"""
from __future__ import annotations

import json
import os
from typing import Any

from caddy_py.config.context import ConfigError


def app_data_dir() -> str:
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg:
        return os.path.join(xdg, "caddy")
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if not home or home == "~":
        return os.path.join(".", "caddy")
    return os.path.join(home, ".local", "share", "caddy")


class FileStorage:
    def __init__(self, root: str) -> None:
        self.root = root

    @classmethod
    def from_config(cls, cfg: dict[str, Any] | None) -> "FileStorage":
        st = (cfg or {}).get("storage") or {}
        if st and st.get("module", "file_system") != "file_system":
            raise ConfigError(f"storage module '{st.get('module')}' is not supported (only file_system)")
        return cls(st.get("root") or app_data_dir())

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)

    def read(self, *parts: str) -> bytes | None:
        try:
            with open(self.path(*parts), "rb") as f:
                return f.read()
        except OSError:
            return None

    def write(self, data: bytes, *parts: str, private: bool = False) -> None:
        path = self.path(*parts)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

    # -- managed certificates ----------------------------------------------------------------
    @staticmethod
    def safe_name(name: str) -> str:
        return name.lower().replace("*", "wildcard_").replace("/", "_").replace(":", "-")

    def load_cert(self, issuer: str, name: str) -> tuple[bytes, bytes] | None:
        n = self.safe_name(name)
        crt, key = self.read("certificates", issuer, n, n + ".crt"), self.read("certificates", issuer, n, n + ".key")
        return (crt, key) if crt and key else None

    def save_cert(self, issuer: str, name: str, crt: bytes, key: bytes, meta: dict[str, Any]) -> None:
        n = self.safe_name(name)
        self.write(key, "certificates", issuer, n, n + ".key", private=True)
        self.write(crt, "certificates", issuer, n, n + ".crt")
        self.write(json.dumps(meta, indent="\t").encode(), "certificates", issuer, n, n + ".json")
