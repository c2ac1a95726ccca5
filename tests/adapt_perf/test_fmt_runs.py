"""The formatter's whole-run shortcuts (word tails, blanks, comment text) keep `caddy fmt`'s
output: random Caddyfile-ish inputs, formatted by us and by caddy."""
from __future__ import annotations

import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from caddy_py.caddyfile.formatter import format_caddyfile

PIECES = ["a.com", "x", "{", "}", "x{", "}y", "\n", "\n\n\n", " ", "\t", "  \t", "\\", '"', "`", "#", "# c x",
          "<", "<<EOF\n", "EOF", "import", "\r", "\xa0", "route", "@m path /a*", "reverse_proxy :9000"]


def inputs(count: int) -> list[bytes]:
    rnd = random.Random(7)
    return ["".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 50))).encode() for _ in range(count)]


def assert_formats_as_caddy_fmt(cases: list[bytes], tmp_path: Path, caddy_bin: str,
                                caddy_env: dict[str, str]) -> None:
    """format_caddyfile gives what the real `caddy fmt` prints, for every input."""
    def caddy_fmt(n: int) -> bytes:
        path = tmp_path / f"in{n}"
        path.write_bytes(cases[n])
        return subprocess.run([caddy_bin, "fmt", str(path)], capture_output=True, env=caddy_env,
                              timeout=60).stdout  # exit 1 just means "was not formatted"

    with ThreadPoolExecutor(8) as pool:
        expected = list(pool.map(caddy_fmt, range(len(cases))))
    for data, want in zip(cases, expected):
        assert format_caddyfile(data) == want, data


def test_same_as_caddy_fmt(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    assert_formats_as_caddy_fmt(inputs(120), tmp_path, caddy_bin, caddy_env)
