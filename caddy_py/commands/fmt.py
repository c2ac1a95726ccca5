"""`caddy-py fmt [--overwrite] [--diff] [FILE|-]`, as Caddy's cmdFmt: prints the formatted
Caddyfile (./Caddyfile by default, `-` = stdin), and exits 1 with an error log line when the
input was not formatted (except with --overwrite, or from stdin)."""
from __future__ import annotations

import argparse
import os
import sys

from caddy_py.caddyfile.formatter import format_caddyfile, formatting_difference

_NOT_FORMATTED = ("{file}:{line}: Caddyfile input is not formatted; Tip: use '--overwrite' to update your "
                  "Caddyfile in-place instead of previewing it. Consult '--help' for more options")


def _error(msg: str) -> int:
    from caddy_py.commands.adapt import log_line

    log_line("error", msg)
    return 1


def _write(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def cmd_fmt(args: argparse.Namespace) -> int:
    files = args.file if isinstance(args.file, list) else ([args.file] if args.file else [])
    config_flag = getattr(args, "config", "") or ""
    if len(files) > 1 or (config_flag and files):
        return _error(f"fmt does not support multiple files {config_flag} {' '.join(files)}")
    path = files[0] if files else (config_flag or "Caddyfile")

    if path == "-":
        _write(format_caddyfile(sys.stdin.buffer.read()))
        return 0
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError as e:
        return _error(f"reading input file: read {path}: {_go_errno_text(e)}")
    except OSError as e:
        return _error(f"reading input file: open {path}: {_go_errno_text(e)}")
    output = format_caddyfile(data)

    if args.overwrite:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(output)
        except OSError as e:
            return _error(f"overwriting formatted file: open {path}: {_go_errno_text(e)}")
        return 0

    if args.diff:
        lines = []
        for kind, text in line_diff(_split_lines(data), _split_lines(output)):
            lines.append({"=": "  ", "-": "- ", "+": "+ "}[kind] + text + "\n")
        _write("".join(lines).encode("utf-8", "surrogateescape"))
    else:
        _write(output)

    warning = formatting_difference(path, data)
    if warning is not None:
        return _error(_NOT_FORMATTED.format(file=warning.file, line=warning.line))
    return 0


def _split_lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "surrogateescape").split("\n")


def _go_errno_text(e: OSError) -> str:
    msg = e.strerror or str(e)
    return msg[:1].lower() + msg[1:]


def line_diff(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    """github.com/aryann/difflib Diff, which Caddy uses for --diff: trim the common head and
    tail, then walk an LCS table of the suffixes; "=" common, "-" only in a, "+" only in b."""
    start = 0
    while start < len(a) and start < len(b) and a[start] == b[start]:
        start += 1
    end = 0
    i, j = len(a) - 1, len(b) - 1
    while i > start and j > start and a[i] == b[j]:
        i -= 1
        j -= 1
        end += 1
    out = [("=", line) for line in a[:start]]
    s1, s2 = a[start: len(a) - end], b[start: len(b) - end]
    n1, n2 = len(s1), len(s2)
    # table[i][j]: LCS length of the last i lines of s1 and the last j lines of s2
    table = [[0] * (n2 + 1) for _ in range(n1 + 1)]
    for i in range(1, n1 + 1):
        row, prev = table[i], table[i - 1]
        x = s1[n1 - i]
        for j in range(1, n2 + 1):
            row[j] = prev[j - 1] + 1 if x == s2[n2 - j] else max(prev[j], row[j - 1])
    i, j = n1, n2
    while i > 0 or j > 0:
        if i > 0 and table[i][j] == table[i - 1][j]:
            out.append(("-", s1[n1 - i]))
            i -= 1
        elif j > 0 and table[i][j] == table[i][j - 1]:
            out.append(("+", s2[n2 - j]))
            j -= 1
        else:
            out.append(("=", s1[n1 - i]))
            i -= 1
            j -= 1
    out.extend(("=", line) for line in a[len(a) - end:])
    return out
