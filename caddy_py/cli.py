"""Command line shaped like Caddy's: `caddy-py adapt|validate|fmt|run|reload|version`.

Flags accept Go's spellings too (`-config` as well as `--config`). Every failure prints one
`Error: ...` line on stderr and exits 1, as Caddy does; never a Python traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Callable


def _flag(p: argparse.ArgumentParser, name: str, **kw) -> None:
    p.add_argument(f"--{name}", f"-{name}", **kw)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="caddy-py", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("adapt", help="print the JSON config a Caddyfile adapts to")
    _flag(p, "config", default="", help="configuration file (default ./Caddyfile)")
    _flag(p, "adapter", default="", help="adapter name (inferred from the file name)")
    _flag(p, "pretty", action="store_true", help="indent the JSON output")
    _flag(p, "validate", action="store_true", help="also validate the result")
    _flag(p, "envfile", action="append", default=[], help="load environment variables from a file")

    p = sub.add_parser("validate", help="check that a config adapts and loads")
    _flag(p, "config", default="")
    _flag(p, "adapter", default="")
    _flag(p, "envfile", action="append", default=[])

    p = sub.add_parser("fmt", help="format a Caddyfile as `caddy fmt` does")
    p.add_argument("file", nargs="*", default=[])  # more than one is Caddy's error, not argparse's
    p.add_argument("--config", "-config", "-c", default="", help="configuration file")
    p.add_argument("--overwrite", "-overwrite", "-w", action="store_true", help="write the result back to the file")
    p.add_argument("--diff", "-diff", "-d", action="store_true", help="print a diff instead of the formatted file")

    p = sub.add_parser("run", help="run the server in the foreground")
    _flag(p, "config", default="")
    _flag(p, "adapter", default="")
    _flag(p, "environ", action="store_true", help="print the environment before starting")
    _flag(p, "envfile", action="append", default=[])
    _flag(p, "watch", action="store_true", help="reload when the config file changes")
    _flag(p, "resume", action="store_true", help="(accepted for compatibility)")
    _flag(p, "pidfile", default="", help="write the process ID to this file")

    p = sub.add_parser("reload", help="load a new config into the running server (admin API)")
    _flag(p, "config", default="")
    _flag(p, "adapter", default="")
    _flag(p, "address", default="", help="admin API address of the running server")
    _flag(p, "force", action="store_true")

    p = sub.add_parser("stop", help="stop the running server (admin API)")
    _flag(p, "config", default="")
    _flag(p, "adapter", default="")
    _flag(p, "address", default="")

    p = sub.add_parser("trust", help="install (or --print) the local CA's root certificate")
    _flag(p, "ca", default="local", help="ID of the local CA (default local)")
    _flag(p, "config", default="", help="config whose `storage` holds the CA")
    _flag(p, "adapter", default="")
    _flag(p, "print", action="store_true", help="print the root certificate (PEM) instead of installing it")

    sub.add_parser("version", help="print the version")
    sub.add_parser("list-modules", help="list the runtime modules")
    return ap


def cmd_version(_args: argparse.Namespace) -> int:
    from caddy_py import CADDY_COMPAT_VERSION, __version__

    sys.stdout.write(f"caddy-py {__version__} (Caddy {CADDY_COMPAT_VERSION} compatible)\n")
    return 0


def cmd_list_modules(_args: argparse.Namespace) -> int:
    from caddy_py.config.registry import module_ids

    sys.stdout.write("".join(m + "\n" for m in module_ids()))
    return 0


def _load_envfiles(paths: list[str]) -> None:
    from caddy_py.envfile import load_envfile

    for path in paths:
        load_envfile(path)


def _lazy(modpath: str, fn: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        return getattr(importlib.import_module(modpath), fn)(args)

    return run


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "adapt": _lazy("caddy_py.commands.adapt", "cmd_adapt"),
    "validate": _lazy("caddy_py.commands.adapt", "cmd_validate"),
    "fmt": _lazy("caddy_py.commands.fmt", "cmd_fmt"),
    "run": _lazy("caddy_py.commands.run", "cmd_run"),
    "reload": _lazy("caddy_py.commands.run", "cmd_reload"),
    "stop": _lazy("caddy_py.commands.run", "cmd_stop"),
    "trust": _lazy("caddy_py.commands.trust", "cmd_trust"),
    "version": cmd_version,
    "list-modules": cmd_list_modules,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.command:
        build_parser().print_help()
        return 0
    from caddy_py.caddyfile.errors import CaddyfileError

    try:
        if getattr(args, "envfile", None):
            _load_envfiles(args.envfile)
    except UserError as e:
        # Caddy loads env files before the command runs and logs the failure as a JSON line
        from caddy_py.commands.adapt import log_line

        log_line("error", str(e))
        return 1
    try:
        return COMMANDS[args.command](args)
    except (CaddyfileError, UserError) as e:
        sys.stderr.write(f"Error: {e}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 1


class UserError(Exception):
    """A failure to report as one `Error: ...` line (bad file, bad flag, server not reachable)."""


def config_path(args: argparse.Namespace) -> str:
    """--config, defaulting to ./Caddyfile as Caddy does."""
    path = getattr(args, "config", "") or ""
    if not path:
        if os.path.exists("Caddyfile"):
            return "Caddyfile"
        raise UserError("no config file to load")
    return path
