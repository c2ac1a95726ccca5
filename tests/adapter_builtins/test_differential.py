"""Differential tests of the built-in directives and global options: caddy-py adapt must print
what the real `caddy adapt --pretty` prints, or fail with the same message."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.adapter.oracle import caddy_adapt
from tests.adapter.test_differential import _caddy_py
from tests.adapter_builtins.cases_directives import DIRECTIVE_CASES
from tests.adapter_builtins.cases_logging import LOGGING_CASES
from tests.adapter_builtins.cases_options import OPTION_CASES
from tests.adapter_builtins.cases_tlsapp import TLSAPP_CASES

CASES = {**{f"dir_{k}": v for k, v in DIRECTIVE_CASES.items()}, **{f"opt_{k}": v for k, v in OPTION_CASES.items()},
         **{f"tls_{k}": v for k, v in TLSAPP_CASES.items()}, **{f"log_{k}": v for k, v in LOGGING_CASES.items()}}

@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_caddy(name: str, tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    (tmp_path / "Caddyfile").write_text(CASES[name])
    want = caddy_adapt(caddy_bin, tmp_path, env=caddy_env)
    got = _caddy_py(tmp_path)
    assert got.code == want.code, (want, got)
    if want.code == 0:
        assert got.stdout == want.stdout
        assert got.warnings == want.warnings
    else:
        assert got.error == want.error


def test_catch_all_policy_conflict(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    """Go prints the issuers with %#v (pointer values differ per run): compare up to them."""
    text = ":443 {\n\tbind 127.0.0.1\n}\n:443 {\n\tbind ::1\n\ttls {\n\t\tissuer acme\n\t}\n}\n"
    (tmp_path / "Caddyfile").write_text(text)
    want, got = caddy_adapt(caddy_bin, tmp_path, env=caddy_env), _caddy_py(tmp_path)
    assert want.code == got.code == 1
    strip = re.compile(r"0x[0-9a-f]+")
    assert strip.sub("0x", got.error) == strip.sub("0x", want.error)
