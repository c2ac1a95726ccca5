"""`caddy-py adapt` and `caddy-py validate`, shaped like Caddy's cmdAdaptConfig/cmdValidateConfig.

Caddy reports through its zap logger, so stderr gets one JSON log line per warning
(`{"level":"warn","ts":...,"logger":"caddyfile","msg":...,"file":...,"line":...}`) and for a
failure `{"level":"error","ts":...,"msg":...}`, then exit status 1.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from caddy_py.caddyfile.errors import CaddyfileError


def zap_quote(s: str) -> str:
    """A string as zap's JSON encoder writes it (no HTML escaping, unlike encoding/json)."""
    out = ['"']
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def log_line(level: str, msg: str, logger: str = "", **fields: Any) -> None:
    parts = [f'"level":{zap_quote(level)}', f'"ts":{time.time():.7f}']
    if logger:
        parts.append(f'"logger":{zap_quote(logger)}')
    parts.append(f'"msg":{zap_quote(msg)}')
    for k, v in fields.items():
        parts.append(f"{zap_quote(k)}:{v if isinstance(v, int) else zap_quote(str(v))}")
    sys.stderr.write("{" + ",".join(parts) + "}\n")


class AdaptFailure(Exception):
    pass


def _config_flag(args: argparse.Namespace) -> str:
    path = getattr(args, "config", "") or ""
    if not path and os.path.isfile("Caddyfile"):
        path = "Caddyfile"
        log_line("info", "using adjacent Caddyfile")
    if not path:
        raise AdaptFailure("input file required when there is no Caddyfile in current directory (use --config flag)")
    return path


def _read_input(path: str) -> bytes:
    try:
        if path == "-":
            return sys.stdin.buffer.read()
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise AdaptFailure(f"reading input file: open {path}: no such file or directory") from None
    except IsADirectoryError:
        raise AdaptFailure(f"reading input file: read {path}: is a directory") from None
    except OSError as e:
        raise AdaptFailure(f"reading input file: open {path}: {e.strerror.lower() if e.strerror else e}") from None


def _adapt(body: bytes, path: str, adapter: str, pretty: bool) -> str:
    from caddy_py.httpcaddyfile.adapter import adapt

    if adapter != "caddyfile":
        raise AdaptFailure(f"unrecognized config adapter: {adapter}")
    logs: list[Any] = []
    try:
        text, warnings = adapt(body, path, pretty, logs)
    finally:
        for w in logs:
            sys.stderr.write(w.zap_json(time.time()) + "\n")
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
    for w in warnings:
        msg = f"{w.directive}: {w.message}" if w.directive else w.message
        log_line("warn", msg, adapter, file=w.file, line=w.line)
    return text


def cmd_adapt(args: argparse.Namespace) -> int:
    try:
        path = _config_flag(args)
        adapter = getattr(args, "adapter", "") or "caddyfile"
        if adapter != "caddyfile":
            raise AdaptFailure(f"unrecognized config adapter: {adapter}")
        body = _read_input(path)
        text = _adapt(body, path, adapter, bool(getattr(args, "pretty", False)))
        if getattr(args, "validate", False):
            validate_config(json.loads(text))
    except (AdaptFailure, CaddyfileError) as e:
        log_line("error", str(e))
        return 1
    return 0


def infer_adapter(path: str, adapter: str) -> str:
    """Caddy's LoadConfig: a file named Caddyfile* or *.caddyfile uses the caddyfile adapter."""
    if adapter:
        return adapter
    base = os.path.basename(path)
    if base.startswith("Caddyfile") or base.endswith(".caddyfile"):
        return "caddyfile"
    return ""


def validate_config(cfg: Any) -> None:
    """Hook for the runtime: `caddy_py.config.loader.validate_config(cfg)` provisions and
    validates every module when it exists; until then only the JSON shape is checked."""
    if not isinstance(cfg, dict):
        raise AdaptFailure("decoding config: json: cannot unmarshal into Go value of type caddy.Config")
    try:
        from caddy_py.config import loader  # type: ignore[attr-defined]
    except ImportError:
        return
    fn = getattr(loader, "validate_config", None)
    if fn is not None:
        fn(cfg)


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        path = _config_flag(args)
        body = _read_input(path)
        adapter = infer_adapter(path, getattr(args, "adapter", "") or "")
        if adapter:
            from caddy_py.httpcaddyfile.adapter import adapt_to_config

            if adapter != "caddyfile":
                raise AdaptFailure(f"unrecognized config adapter: {adapter}")
            logs: list[Any] = []
            try:
                cfg, _warnings = adapt_to_config(body, path, logs)
            finally:
                for w in logs:
                    sys.stderr.write(w.zap_json(time.time()) + "\n")
            cfg = json.loads(__import__("caddy_py.gojson", fromlist=["dumps"]).dumps(cfg))
        else:
            try:
                cfg = json.loads(body)
            except ValueError as e:
                raise AdaptFailure(f"decoding config: {e}") from None
        validate_config(cfg)
    except (AdaptFailure, CaddyfileError) as e:
        log_line("error", str(e))
        return 1
    except Exception as e:  # runtime validation errors: one line, never a traceback
        log_line("error", str(e))
        return 1
    sys.stdout.write("Valid configuration\n")
    return 0
