"""Password hashes for `http_basic` (`http.authentication.hashes.bcrypt` / `.argon2id`).

Comparisons are CPU-heavy on purpose (bcrypt cost 14 is ~1 s), so callers run `compare` in a
worker thread. argon2id hashes are Caddy's `$argon2id$v=19$m=..,t=..,p=..$salt$key` strings.
"""
from __future__ import annotations

import base64
import hmac
from typing import Any

import bcrypt
from argon2.low_level import Type, hash_secret_raw

from caddy_py.config.registry import register


class _Hash:
    """A hash module: no options; `fake_hash()` is checked for unknown users (timing)."""

    FAKE = b""

    @classmethod
    def from_json(cls, cfg: Any, ctx: Any = None) -> "_Hash":
        return cls()

    def fake_hash(self) -> bytes:
        return self.FAKE


@register("http.authentication.hashes.bcrypt")
class BcryptHash(_Hash):
    FAKE = b"$2a$14$X3ulqf/iGxnf1k6oMZ.RZeJUoqI9PX2PM4rS5lkIKJXduLGXGPrt6"

    def compare(self, hashed: bytes, plaintext: bytes) -> bool:
        """True on a match; ValueError for a malformed hash (Caddy's error case)."""
        try:
            return bcrypt.checkpw(plaintext, hashed)
        except ValueError as e:
            if len(plaintext) > 72:  # bcrypt >= 5 refuses long passwords: Go's mismatch
                return False
            raise ValueError(f"crypto/bcrypt: {e}") from None


def _b64_strict(s: str) -> bytes:
    return base64.b64decode(s + "=" * (-len(s) % 4), validate=True)


@register("http.authentication.hashes.argon2id")
class Argon2idHash(_Hash):
    FAKE = b"$argon2id$v=19$m=47104,t=1,p=1$P2nzckEdTZ3bxCiBCkRTyA$xQL3Z32eo5jKl7u5tcIsnEKObYiyNZQQf5/4sAau6Pg"

    def compare(self, hashed: bytes, plaintext: bytes) -> bool:
        parts = hashed.decode("utf-8", "replace").split("$")
        if len(parts) != 6:
            raise ValueError("invalid hash format")
        if parts[1] != "argon2id":
            raise ValueError(f"unsupported variant: {parts[1]}")
        if parts[2] != "v=19":
            raise ValueError(f"incompatible version: {parts[2].removeprefix('v=')}")
        params = parts[3].split(",")
        if len(params) != 3:
            raise ValueError("invalid parameters")
        try:
            mem = int(params[0].removeprefix("m="))
            iters = int(params[1].removeprefix("t="))
            threads = int(params[2].removeprefix("p="))
            salt, key = _b64_strict(parts[4]), _b64_strict(parts[5])
        except ValueError as e:
            raise ValueError(f"invalid parameters: {e}") from None
        got = hash_secret_raw(plaintext, salt, time_cost=iters, memory_cost=mem, parallelism=threads,
                              hash_len=len(key), type=Type.ID, version=19)
        return hmac.compare_digest(got, key)
