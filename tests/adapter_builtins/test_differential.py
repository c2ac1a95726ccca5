"""Differential tests of the built-in directives and global options: caddy-py adapt must print
what the real `caddy adapt --pretty` prints, or fail with the same message."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.adapter.oracle import Outcome, assert_same_outcome, caddy_adapt, caddy_outcomes_for
from tests.adapter.oracle import caddy_py_adapt_inprocess as _caddy_py
from tests.adapter_builtins.cases_directives import DIRECTIVE_CASES
from tests.adapter_builtins.cases_logging import LOGGING_CASES
from tests.adapter_builtins.cases_options import OPTION_CASES
from tests.adapter_builtins.cases_tlsapp import TLSAPP_CASES

CASES = {**{f"dir_{k}": v for k, v in DIRECTIVE_CASES.items()}, **{f"opt_{k}": v for k, v in OPTION_CASES.items()},
         **{f"tls_{k}": v for k, v in TLSAPP_CASES.items()}, **{f"log_{k}": v for k, v in LOGGING_CASES.items()}}


@pytest.fixture(scope="module")
def caddy_outcomes(caddy_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return caddy_outcomes_for(caddy_bin, CASES, tmp_path_factory.mktemp("caddy_oracle"), workers=8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_caddy(name: str, tmp_path: Path, caddy_outcomes: dict[str, Outcome]) -> None:
    assert_same_outcome(CASES[name], tmp_path, caddy_outcomes[name])


def test_catch_all_policy_conflict(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    """Go prints the issuers with %#v (pointer values differ per run): compare up to them."""
    text = ":443 {\n\tbind 127.0.0.1\n}\n:443 {\n\tbind ::1\n\ttls {\n\t\tissuer acme\n\t}\n}\n"
    (tmp_path / "Caddyfile").write_text(text)
    want, got = caddy_adapt(caddy_bin, tmp_path, env=caddy_env), _caddy_py(tmp_path)
    assert want.code == got.code == 1
    strip = re.compile(r"0x[0-9a-f]+")
    assert strip.sub("0x", got.error) == strip.sub("0x", want.error)
