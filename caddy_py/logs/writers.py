"""Caddy's log writers (`caddy.logging.writers.stdout|stderr|discard|file`).

Writers are shared by key across logs and across config reloads (Caddy keeps them in a usage
pool), so two logs naming the same file write through one handle and a reload does not reopen it.
Rolling uses Python's RotatingFileHandler machinery: backups are `NAME.1(.gz)`, `NAME.2(.gz)`, ...
rather than Caddy's timestamped names; `roll_keep_days` prunes backups older than that many days.
"""
from __future__ import annotations

import gzip
import logging.handlers
import os
import shutil
import sys
import threading
import time
from typing import Any

from caddy_py.replacer import Replacer


class StreamWriter:
    def __init__(self, which: str) -> None:
        self.which = which
        self.key = "std:out" if which == "stdout" else "std:err"

    def __str__(self) -> str:
        return self.which

    def write(self, text: str) -> None:
        stream = sys.stdout if self.which == "stdout" else sys.stderr
        try:
            stream.write(text)
            stream.flush()
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        pass


class DiscardWriter:
    key = "discard"

    def __str__(self) -> str:
        return "discard"

    def write(self, text: str) -> None:
        pass

    def close(self) -> None:
        pass


class _Roller(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler used only for its file handling and rollover; never as a handler."""

    def __init__(self, path: str, max_bytes: int, keep: int, keep_days: int, compress: bool, mode: int) -> None:
        self._create_mode = mode
        super().__init__(path, mode="a", maxBytes=max_bytes, backupCount=keep, encoding="utf-8")
        self.keep_days = keep_days
        if compress:
            self.namer = lambda name: name + ".gz"
            self.rotator = _gzip_rotate

    def _open(self):  # type: ignore[override]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self._create_mode)
        return os.fdopen(fd, "a", encoding="utf-8")

    def doRollover(self) -> None:
        super().doRollover()
        if self.keep_days > 0:
            cutoff = time.time() - self.keep_days * 86400
            folder = os.path.dirname(self.baseFilename) or "."
            base = os.path.basename(self.baseFilename) + "."
            for name in os.listdir(folder):
                full = os.path.join(folder, name)
                if name.startswith(base) and os.path.getmtime(full) < cutoff:
                    os.remove(full)


def _gzip_rotate(source: str, dest: str) -> None:
    with open(source, "rb") as src, gzip.open(dest, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.remove(source)


class FileWriter:
    def __init__(self, cfg: dict[str, Any]) -> None:
        filename = cfg.get("filename", "")
        try:
            filename = Replacer().replace_or_err(filename, True, True)
        except Exception as e:  # noqa: BLE001 - reported as config error
            raise ValueError(f"invalid filename for log file: {e}") from None
        if not filename:
            raise ValueError("filename is required")
        self.filename = filename
        self.key = "file:" + filename
        mode = cfg.get("mode")
        self.mode = int(str(mode), 8) if mode else 0o600
        self.roll = cfg.get("roll", True) is not False
        self.roll_size = int(cfg.get("roll_size_mb") or 100) * 1024 * 1024
        self.roll_keep = int(cfg.get("roll_keep") or 10)
        self.roll_keep_days = int(cfg.get("roll_keep_days") or 90)
        compression = str(cfg.get("roll_compression") or "").strip().lower()
        if compression and compression not in ("none", "gzip", "zstd"):
            raise ValueError(f"invalid roll_compression: {compression}")
        self.compress = compression in ("gzip", "zstd") or (not compression and cfg.get("roll_gzip", True) is not False)
        self._lock = threading.Lock()
        self._roller: _Roller | None = None
        self._file: Any = None

    def __str__(self) -> str:
        return os.path.abspath(self.filename)

    def open(self) -> None:
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        if self.roll:
            self._roller = _Roller(self.filename, self.roll_size, self.roll_keep, self.roll_keep_days,
                                   self.compress, self.mode)
        else:
            fd = os.open(self.filename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, self.mode)
            self._file = os.fdopen(fd, "a", encoding="utf-8")

    def write(self, text: str) -> None:
        try:
            self._write(text)
        except (OSError, ValueError):  # a full disk or a closed file must not break serving
            pass

    def _write(self, text: str) -> None:
        with self._lock:
            if self._roller is not None:
                r = self._roller
                if r.stream is None:
                    r.stream = r._open()
                if r.maxBytes > 0:
                    r.stream.seek(0, 2)
                    if r.stream.tell() + len(text) >= r.maxBytes and r.stream.tell() > 0:
                        r.doRollover()
                r.stream.write(text)
                r.stream.flush()
            elif self._file is not None:
                self._file.write(text)
                self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._roller is not None:
                self._roller.close()
                self._roller = None
            if self._file is not None:
                self._file.close()
                self._file = None


Writer = StreamWriter | DiscardWriter | FileWriter

# key -> [writer, references]; shared across logs and config loads
_OPEN: dict[str, list[Any]] = {}
_OPEN_LOCK = threading.Lock()


def build_writer(cfg: dict[str, Any] | None) -> Writer:
    """A writer (not yet opened) from `{"output": NAME, ...}`; the default is stderr."""
    cfg = dict(cfg or {"output": "stderr"})
    out = cfg.pop("output", "")
    if out in ("stdout", "stderr"):
        return StreamWriter(out)
    if out == "discard":
        return DiscardWriter()
    if out == "file":
        return FileWriter(cfg)
    raise ValueError(f"loading log writer module: module not registered: caddy.logging.writers.{out}")


def acquire(writer: Writer) -> Writer:
    """The shared, open writer with this writer's key (opening it if new)."""
    with _OPEN_LOCK:
        entry = _OPEN.get(writer.key)
        if entry is None:
            if isinstance(writer, FileWriter):
                try:
                    writer.open()
                except OSError as e:
                    raise ValueError(f"opening log writer using {writer}: {e}") from None
            entry = _OPEN[writer.key] = [writer, 0]
        entry[1] += 1
        return entry[0]


def release(writer: Writer) -> None:
    with _OPEN_LOCK:
        entry = _OPEN.get(writer.key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _OPEN[writer.key]
            entry[0].close()
