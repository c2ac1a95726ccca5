"""Caddy's logging app on top of Python `logging` (JSON config key `logging`).

Loggers carry Caddy's names (`http.log.access.log0`, `http.handlers.reverse_proxy`, `admin`,
`tls`, ...); the logger named `caddy` is Caddy's unnamed default logger. One handler on the root
logger routes every record to each configured log (`logging.logs.NAME`) whose level and
include/exclude namespaces (Caddy's prefix rules) accept the logger name, encodes it with that
log's encoder (`json`, `console`, or the wrapping `filter`/`append`; Caddy's keys `level`, `ts`,
`logger`, `msg`) and writes it
with that log's writer (`stdout`, `stderr`, `discard`, `file` with rolling). Without a config,
the default log writes INFO and above to stderr (JSON, or console when stderr is a terminal).

API:
    install()                       once per process (the CLI does it); idempotent
    apply(logging_cfg) -> app       build the logs of a config and switch to them atomically
                                    (raises ConfigError with Caddy's full wording, e.g. "setting up
                                    custom log 'x': ..."; nothing changes then)
    enabled(name, level) -> bool    cheap check: would any log take this record?
    log(name, level, msg, **fields) structured entry (fields become JSON keys) — no work when off
    ServerLogs / log_access         per-server access logging, see `caddy_py.logs.access`

From ordinary code, `logging.getLogger("http.handlers.x").info("text %s", arg)` works too; pass
structured fields with `extra={"caddy_fields": {...}}`. `sampling` and `sink` are accepted and
ignored (no sampling is done; Python has no stdlib log to redirect).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from typing import Any

from caddy_py.config.context import ConfigError
from caddy_py.logs.encoders import ConsoleEncoder, JSONEncoder, build_encoder, level_name
from caddy_py.logs.writers import DiscardWriter, StreamWriter, Writer, acquire, build_writer, release
from caddy_py.replacer import PlaceholderError, Replacer

DEFAULT_LOGGER_NAME = "default"
_UNNAMED = {"caddy", "root", ""}

LEVELS = {
    "debug": logging.DEBUG, "": logging.INFO, "info": logging.INFO, "warn": logging.WARNING,
    "error": logging.ERROR, "panic": logging.CRITICAL, "fatal": logging.CRITICAL,
}


def parse_level(text: str) -> int:
    try:
        level = Replacer().replace_or_err(text or "", True, True)
    except PlaceholderError as e:
        raise ValueError(f"invalid log level: {e}") from None
    level = level.lower()
    if level not in LEVELS:
        raise ValueError(f"unrecognized log level: {level}")
    return LEVELS[level]


class CustomLog:
    """One entry of `logging.logs`: where, how and which records are written."""

    def __init__(self, name: str, writer: Writer, encoder: Any, level: int,
                 include: list[str], exclude: list[str]) -> None:
        self.name = name
        self.writer = writer
        self.encoder = encoder
        self.level = level
        self.include = include
        self.exclude = exclude

    @classmethod
    def from_json(cls, name: str, cfg: dict[str, Any]) -> "CustomLog":
        writer = build_writer(cfg.get("writer"))
        level = parse_level(str(cfg.get("level", "")))
        enc_cfg = cfg.get("encoder")
        encoder = build_encoder(enc_cfg, lambda: default_encoder(writer)) if enc_cfg else default_encoder(writer)
        include = [str(x) for x in cfg.get("include") or []]
        exclude = [str(x) for x in cfg.get("exclude") or []]
        if include and exclude:
            for allow in include:
                if allow in exclude:
                    raise ValueError(f"include and exclude must not intersect, but found {allow} in both lists")
            for allow in include:
                if not any((allow + ".").startswith(deny + ".") or (deny + ".").startswith(allow + ".")
                           for deny in exclude):
                    raise ValueError("when both include and exclude are populated, each element must be a "
                                     f"superspace or subspace of one in the other list; check '{allow}' in include")
        return cls(name, writer, encoder, level, include, exclude)

    def allowed(self, logger_name: str) -> bool:
        """Caddy's namespace rule: the longest matching include/exclude prefix wins."""
        if not self.include and not self.exclude:
            return True
        name = logger_name
        if name not in ("", "*", "."):
            name += "."
        accept = reject = 0
        if self.include:
            for ns in self.include:
                if name.startswith(ns + ".") and len(ns) > accept:
                    accept = len(ns)
            if accept == 0:
                return False
        for ns in self.exclude:
            if (ns == "*" and name != ".") or (ns == "." and name == "."):
                return False
            if name.startswith(ns + ".") and len(ns) > reject:
                reject = len(ns)
        if reject > accept:
            return False
        return accept > reject or (not self.include and reject == 0)


def default_encoder(writer: Writer) -> JSONEncoder | ConsoleEncoder:
    """Caddy's default: console with wall-clock time on a terminal's std stream, else JSON."""
    if isinstance(writer, StreamWriter) and _stderr_is_terminal():
        color = "color" if not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "xterm-mono" else "upper"
        return ConsoleEncoder({"time_format": "wall_milli", "level_format": color})
    return JSONEncoder()


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class LoggingApp:
    """The logs of one config; records go to each log that accepts them."""

    def __init__(self, logs: list[CustomLog]) -> None:
        self.logs = [lg for lg in logs if not isinstance(lg.writer, DiscardWriter)]
        self.min_level = min((lg.level for lg in self.logs), default=logging.CRITICAL + 1)
        self._route_cache: dict[str, list[CustomLog]] = {}

    @classmethod
    def from_json(cls, cfg: dict[str, Any] | None) -> "LoggingApp":
        cfg = cfg or {}
        logs_cfg: dict[str, Any] = dict(cfg.get("logs") or {})
        built: list[CustomLog] = []
        try:
            try:
                default = CustomLog.from_json(DEFAULT_LOGGER_NAME, logs_cfg.get(DEFAULT_LOGGER_NAME) or {})
                default.writer = acquire(default.writer)
            except ValueError as e:
                raise ConfigError(f"setting up default log: {e}") from None
            built.append(default)
            for name, lcfg in logs_cfg.items():
                if name == DEFAULT_LOGGER_NAME:
                    continue
                try:
                    lg = CustomLog.from_json(name, lcfg or {})
                    lg.writer = acquire(lg.writer)
                except ValueError as e:
                    raise ConfigError(f"setting up custom log '{name}': {e}") from None
                built.append(lg)
        except ConfigError:
            for lg in built:
                release(lg.writer)
            raise
        app = cls(built)
        app._all = built
        return app

    def routes(self, name: str) -> list[CustomLog]:
        hit = self._route_cache.get(name)
        if hit is None:
            hit = self._route_cache[name] = [lg for lg in self.logs if lg.allowed(name)]
        return hit

    def enabled(self, name: str, levelno: int) -> bool:
        return levelno >= self.min_level and any(levelno >= lg.level for lg in self.routes(name))

    def emit(self, name: str, levelno: int, ts: float, msg: str, fields: dict[str, Any]) -> None:
        if levelno < self.min_level:
            return
        shown = "" if name in _UNNAMED else name
        level = level_name(levelno)
        lines: dict[int, str] = {}
        for lg in self.routes(name):
            if levelno < lg.level:
                continue
            key = id(lg.encoder)
            line = lines.get(key)
            if line is None:
                line = lines[key] = lg.encoder.encode(level, ts, shown, msg, fields)
            lg.writer.write(line)

    def close(self) -> None:
        for lg in getattr(self, "_all", self.logs):
            release(lg.writer)

    def default_writer(self) -> str:
        for lg in getattr(self, "_all", self.logs):
            if lg.name == DEFAULT_LOGGER_NAME:
                return str(lg.writer)
        return ""


# Python libraries' own chatter (asyncio's selector choice, aiohttp internals) has no place in
# Caddy's logs below WARNING
_FOREIGN = frozenset({"asyncio", "aiohttp", "concurrent", "urllib3", "charset_normalizer", "multipart"})


class _RootHandler(logging.Handler):
    """Routes every Python log record into the current LoggingApp."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno < logging.WARNING and record.name.partition(".")[0] in _FOREIGN:
            return
        try:
            fields = getattr(record, "caddy_fields", None)
            fields = dict(fields) if fields else {}
            if record.exc_info and record.exc_info[1] is not None and "error" not in fields:
                fields["error"] = str(record.exc_info[1])
            _state.app.emit(record.name, record.levelno, record.created, record.getMessage(), fields)
        except Exception:  # noqa: BLE001 - logging must never break the caller, nor print a traceback
            pass


class _State:
    def __init__(self) -> None:
        self.app = LoggingApp([CustomLog(DEFAULT_LOGGER_NAME, StreamWriter("stderr"),
                                         default_encoder(StreamWriter("stderr")), logging.INFO, [], [])])
        self.handler: _RootHandler | None = None
        self.lock = threading.Lock()


_state = _State()


def install() -> None:
    """Attach the routing handler to the root logger (once) and set the root level."""
    with _state.lock:
        if _state.handler is None:
            _state.handler = _RootHandler()
            logging.getLogger().addHandler(_state.handler)
        logging.getLogger().setLevel(_state.app.min_level)


def apply(cfg: dict[str, Any] | None) -> LoggingApp:
    """Switch to the logs of `cfg` (the config's `logging` object); the old logs are released."""
    new = LoggingApp.from_json(cfg)
    with _state.lock:
        old = _state.app
        _state.app = new
    if _state.handler is not None:
        logging.getLogger().setLevel(new.min_level)
    before, after = old.default_writer(), new.default_writer()
    if before != after and old.logs:
        old.emit("caddy", logging.INFO, _now(), "redirected default logger", {"from": before, "to": after})
    old.close()
    return new


def current() -> LoggingApp:
    return _state.app


def enabled(name: str, level: int) -> bool:
    return _state.app.enabled(name, level)


def log(name: str, level: int, msg: str, **fields: Any) -> None:
    """A structured entry on logger `name`, written straight to the logs that take it."""
    app = _state.app
    if app.enabled(name, level):
        app.emit(name, level, time.time(), msg, fields)


def _now() -> float:
    return time.time()


from caddy_py.logs.access import ServerLogs, log_access  # noqa: E402,F401 - re-exported API
