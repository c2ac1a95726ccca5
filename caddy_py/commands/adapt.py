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
            try:
                validate_config(json.loads(text))
            except Exception as e:
                raise AdaptFailure(f"validation: {e}") from None
    except Exception as e:  # every failure is one error line, never a traceback
        log_line("error", str(e))
        return 1
    return 0


def validate_config(cfg: Any) -> None:
    """Caddy's Validate: provision every app of the config (nothing is started), then clean up.
    The runtime's Instance does the module loading; its errors come out as one message."""
    import asyncio

    from caddy_py.config.runtime import Instance

    async def run() -> None:
        inst = Instance(cfg)
        try:
            await inst.provision()
        finally:
            await inst.ctx.cleanup()

    asyncio.run(run())


def cmd_validate(args: argparse.Namespace) -> int:
    from caddy_py.config.loading import config_from_bytes, infer_adapter

    try:
        path = _config_flag(args)
        body = _read_input(path)
        adapter = infer_adapter(path, getattr(args, "adapter", "") or "")
        log_line("info", "using config from file", file=path)
        try:
            cfg = config_from_bytes(body, adapter, path)
        except CaddyfileError as e:
            raise AdaptFailure(f"adapting config using {adapter}: {e}") from None
        if adapter == "caddyfile":
            log_line("info", "adapted config to JSON", adapter=adapter)
        validate_config(cfg)
    except Exception as e:  # every failure is one error line, never a traceback
        log_line("error", str(e))
        return 1
    sys.stdout.write("Valid configuration\n")
    return 0
