"""Random and mutated Caddyfiles through lexer, parser and formatter: each ends in a result or a
CaddyfileError, never another exception, and quickly (pytest-timeout guards against hangs)."""
from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caddy_py.caddyfile import CaddyfileError, parse
from caddy_py.caddyfile.formatter import format_caddyfile, formatting_difference

from .test_fmt import INPUTS

PIECES = ["a.com", ":80", "{", "}", "\n", " ", "\t", "\\", '"', "`", "#", "<<EOF\n", "EOF", "import", "(s)",
          "&(r)", "@m", "{args[0]}", "{args[:]}", "{args.1}", "{block}", "{blocks.x}", "{$HOME}", ",", "*",
          "respond", "route", "\r\n", "\xa0", "\\\n", "{}", "import s", "import *.caddy", "import ."]

SEEDS = sorted(INPUTS.values()) + [
    b"(s) {\n\trespond {args[0]}\n\t{block}\n}\na.com {\n\timport s x {\n\t\ty\n\t}\n}\n",
    b"&(r) {\n\trespond hi\n}\n{\n\tdebug\n}\n",
]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with a few files for random imports to find (and a cycle through them)."""
    root = tmp_path_factory.mktemp("fuzz")
    (root / "a.caddy").write_text("respond a\nimport b.caddy\n")
    (root / "b.caddy").write_text("import a.caddy\n")
    (root / "empty.caddy").write_text("")
    return root


def check(data: bytes, root: Path) -> None:
    with contextlib.chdir(root):
        try:
            parse("Caddyfile", data, [])
        except CaddyfileError:
            pass
    out = format_caddyfile(data)
    assert out.endswith(b"\n")
    formatting_difference("Caddyfile", data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_random_caddyfiles(sandbox: Path, src: str) -> None:
    check(src.encode(), sandbox)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=80))
def test_random_bytes(sandbox: Path, data: bytes) -> None:
    check(data, sandbox)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(data)))
        if draw(st.booleans()) and pos < len(data):
            del data[pos: pos + draw(st.integers(1, 3))]
        else:
            data[pos:pos] = draw(st.sampled_from(PIECES)).encode()
    return bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutated())
def test_mutated_caddyfiles(sandbox: Path, data: bytes) -> None:
    check(data, sandbox)
