"""`caddy fmt` differential tests: Caddyfiles written here, formatted by caddy-py and by the real
caddy (at test time), compared byte for byte; plus the fmt command's flags, messages and exit
codes, and every Caddyfile of Caddy's own adapter corpus."""
from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caddy_py.caddyfile.formatter import format_caddyfile, formatting_difference

INPUTS: dict[str, bytes] = {
    "formatted": b"{\n\tdebug\n}\n\nexample.com {\n\trespond hi\n}\n",
    "messy_indent": b"example.com{\n  respond   hi\n      file_server\n}",
    "brace_on_next_line": b"example.com\n{\nrespond hi\n}\n",
    "blocks_glued": b"a.com {\nrespond a\n}\nb.com {\nrespond b\n}\n",
    "many_blank_lines": b"a {\n\n\n\n\tb\n\n\n\tc\n}\n\n\n\n",
    "nested": b"a {\nroute {\nhandle /x {\nrespond x\n}\n}\n}",
    "comments": b"# top\na { # trailing\n  # inside\n  b # after\n}\n#end",
    "hash_in_word": b"a {\n\tredir https://x/#/y\n\trespond a#b\n}",
    "quotes": b'a {\n  respond "hello   world {x}"   200\n  header `a "b" {c}`\n}',
    "quote_inside_word": b'a {\n  respond foo"bar  baz"\n}',
    "escapes": b'a {\n  respond \\{x\\} "\\"q\\""\n  path \\#notcomment\n}',
    "heredoc": b"a {\n  respond <<EOF\n    <html>\n      {  }\n    </html>\n    EOF 200\n}",
    "heredoc_escaped": b"a {\n respond \\<<EOF\n}",
    "heredoc_not": b"a {\n respond <<EOF 200\n}",
    "placeholders": b"a {\n  respond {http.request.uri}   {$HOME}\n  header X {header.Y}\n}",
    "env_vars": b"{$SITE:localhost} {\n  respond {$BODY:ok}\n}",
    "crlf": b"a {\r\n\trespond hi\r\n}\r\n",
    "tabs_and_spaces": b"a\t{\n \t respond\t\thi \t\n}",
    "top_level_import_then_options": b"import common\n{\n\tdebug\n}\n",
    "snippet": b"(s) {\nrespond {args[0]}\n}\na {\nimport s x\n}",
    "empty_block": b"a {\n}\nb {}\n",
    "double_open": b"example.com {{ respond hi",
    "trailing_open": b"a\n{",
    "close_without_space": b"0{0 }}",
    "matcher_block": b"a {\n@m {\npath /x\nheader X y\n}\nrespond @m 200\n}",
    "continuation": b"a {\n  respond hi \\\n    200\n}",
    "unicode": "a {\n\trespond \u00e9t\u00e9\u00a0ok\n}\n".encode(),
    "invalid_utf8": b"a {\n\trespond \xff\xfe\n}\n",
    "bom": b"\xef\xbb\xbfa {\n\trespond hi\n}\n",
    "only_comment": b"# just a comment",
    "empty": b"",
    "backtick_with_quote": b'a {\n\trespond `say "hi"` 200\n}\n',
    "deep_nesting": b"{" * 12 + b"x" + b"}" * 12,
}


def caddy_fmt(caddy_bin: str, data: bytes) -> bytes:
    return subprocess.run([caddy_bin, "fmt", "-"], input=data, capture_output=True, timeout=30).stdout


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_format_like_caddy(name: str, caddy_bin: str) -> None:
    data = INPUTS[name]
    assert format_caddyfile(data) == caddy_fmt(caddy_bin, data)


def test_formatting_difference_points_at_the_first_differing_line() -> None:
    assert formatting_difference("Caddyfile", b"a {\n\tb\n}\n") is None
    assert formatting_difference("Caddyfile", b"a {\r\n\tb\r\n}\r\n") is None  # CRLF is normalized first
    w = formatting_difference("F", b"a {\n\tb\n   c\n}\n")
    assert w is not None and (w.file, w.line) == ("F", 3)
    assert w.message == "Caddyfile input is not formatted; run 'caddy fmt --overwrite' to fix inconsistencies"


def _corpus_parts(shared: Path) -> list[Path]:
    return sorted((shared / "caddy-corpus" / "integration" / "caddyfile_adapt").glob("*"))


def test_corpus_caddyfiles_format_like_caddy(shared_dir: Path, caddy_bin: str) -> None:
    parts = {p.name: p.read_bytes().split(b"----------")[0] for p in _corpus_parts(shared_dir)}
    assert parts
    with ThreadPoolExecutor(8) as pool:  # the caddy runs are subprocesses: overlap them
        expected = dict(zip(parts, pool.map(lambda data: caddy_fmt(caddy_bin, data), parts.values())))
    assert [name for name, data in parts.items() if format_caddyfile(data) != expected[name]] == []


# -- the command ------------------------------------------------------------------------------
def run(argv: list[str], cwd: Path, stdin: bytes = b"", env: dict[str, str] | None = None) -> tuple[int, bytes, list[str]]:
    r = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, timeout=30, env=env)
    msgs = [json.loads(line)["msg"] for line in r.stderr.decode().splitlines() if line.startswith("{")]
    return r.returncode, r.stdout, msgs


FMT_ARGS = [
    ["fmt", "messy"],
    ["fmt", "--diff", "messy"],
    ["fmt", "clean"],
    ["fmt", "--diff", "clean"],
    ["fmt", "--config", "messy"],
    ["fmt", "-c", "messy", "clean"],
    ["fmt", "messy", "clean"],
    ["fmt", "missing"],
    ["fmt", "adir"],
    ["fmt"],
    ["fmt", "-"],
]


@pytest.mark.parametrize("args", FMT_ARGS, ids=" ".join)
def test_fmt_command_like_caddy(args: list[str], tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    (tmp_path / "messy").write_bytes(b"a  {\nb\n  c d\n}\n\n\n\ne {\nf\n}")
    (tmp_path / "clean").write_bytes(b"a {\n\tb\n}\n")
    (tmp_path / "adir").mkdir()
    stdin = b"x {\n y\n}"
    expected = run([caddy_bin, *args], tmp_path, stdin, caddy_env)
    got = run([sys.executable, "-m", "caddy_py", *args], tmp_path, stdin)
    assert got == expected


def test_fmt_overwrite(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    messy = b"a  {\nb\n}"
    (tmp_path / "ours").write_bytes(messy)
    (tmp_path / "theirs").write_bytes(messy)
    assert run([caddy_bin, "fmt", "--overwrite", "theirs"], tmp_path, env=caddy_env)[0] == 0
    assert run([sys.executable, "-m", "caddy_py", "fmt", "--overwrite", "ours"], tmp_path) == (0, b"", [])
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes() == b"a {\n\tb\n}\n"


FMT_PIECES = ["a", "b.com", "{", "}", " ", "\t", "\n", "\n\n\n", '"', "`", "\\", "#", "<", "<<EOF\n", "\nEOF",
              "  EOF ", "\r\n", "import x\n", "(s)", " {\n", "}\n", "{args[0]}", "{$X}", "\\{", '"{"', "`}`",
              "# c {\n", "respond", "\u3000", "é"]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(FMT_PIECES), max_size=40).map("".join))
def test_random_inputs_format_like_caddy(src: str) -> None:
    from tests.conftest import caddy_binary

    caddy_bin = caddy_binary()
    assert caddy_bin is not None
    data = src.encode()
    assert format_caddyfile(data) == caddy_fmt(caddy_bin, data)
