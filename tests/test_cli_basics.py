import subprocess
import sys

from caddy_py.caddyfile.dispenser import Dispenser
from caddy_py.caddyfile.token import Token


def test_version_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "caddy_py", "version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("caddy-py ")


def _toks(*spec: tuple[str, int]) -> list[Token]:
    return [Token(text, "Caddyfile", line) for text, line in spec]


def test_dispenser_args_stop_at_line_end_and_block() -> None:
    d = Dispenser(_toks(("dir", 1), ("a", 1), ("b", 1), ("{", 1), ("sub", 2), ("x", 2), ("}", 3), ("next", 4)))
    assert d.next() and d.val() == "dir"
    assert d.remaining_args() == ["a", "b"]
    seen = []
    while d.next_block(0):
        seen.append(d.val())
    assert seen == ["sub", "x"]
    assert d.next() and d.val() == "next"
    assert str(d.arg_err()) == "wrong argument count or unexpected line ending after 'next', at Caddyfile:4"
