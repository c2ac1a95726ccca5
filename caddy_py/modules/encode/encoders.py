"""Streaming compressors for `encode`: each `compress(data)` returns bytes the client can decode
right away (a sync flush), so streamed responses keep flowing; `finish()` ends the stream."""
from __future__ import annotations

import zlib
from typing import Any, Protocol

import brotli
import zstandard

from caddy_py.config.registry import register


class Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _Gzip:
    def __init__(self, level: int) -> None:
        self._c = zlib.compressobj(level, zlib.DEFLATED, 31)

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data) + self._c.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._c.flush(zlib.Z_FINISH)


class _Zstd:
    def __init__(self, level: int) -> None:
        self._c = zstandard.ZstdCompressor(level=level).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data) + self._c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)

    def finish(self) -> bytes:
        return self._c.flush(zstandard.COMPRESSOBJ_FLUSH_FINISH)


class _Brotli:
    def __init__(self, quality: int) -> None:
        self._c = brotli.Compressor(quality=quality)

    def compress(self, data: bytes) -> bytes:
        return self._c.process(data) + self._c.flush()

    def finish(self) -> bytes:
        return self._c.finish()


@register("http.encoders.gzip")
class Gzip:
    name = "gzip"

    def __init__(self, level: int) -> None:
        if level == 0:
            level = 5  # Caddy's default
        self.level = max(-2, min(level, 9))
        if self.level < 0:
            self.level = 1 if self.level == -2 else 6

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Gzip":
        return cls(int(cfg.get("level") or 0))

    def new(self) -> Compressor:
        return _Gzip(self.level)


_ZSTD_LEVELS = {"fastest": 1, "default": 3, "better": 7, "best": 11}


@register("http.encoders.zstd")
class Zstd:
    name = "zstd"

    def __init__(self, level: str) -> None:
        if level and level not in _ZSTD_LEVELS:
            raise ValueError(f"unknown zstd level: {level}")
        self.level = _ZSTD_LEVELS[level or "default"]

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Zstd":
        return cls(str(cfg.get("level") or ""))

    def new(self) -> Compressor:
        return _Zstd(self.level)


@register("http.encoders.br")
class Brotli:
    """Not in stock Caddy 2.11 (a plugin there); offered because brotli is a dependency."""

    name = "br"

    def __init__(self, quality: int) -> None:
        self.quality = quality or 4

    @classmethod
    def from_json(cls, cfg: dict[str, Any], ctx: Any = None) -> "Brotli":
        return cls(int(cfg.get("quality") or cfg.get("level") or 0))

    def new(self) -> Compressor:
        return _Brotli(self.quality)
