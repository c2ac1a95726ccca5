"""Differential tests of the handler modules' Caddyfile parsers: caddy-py adapt must print what
the real `caddy adapt --pretty` prints (warnings included), or fail with the same message.

Besides the hand-written cases, generated blocks with fixed seeds run too: 4000 seeds were
checked while writing the parsers (they found encode's shared `match` map, now a hand-written
case); these stay as the regression set."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapter.oracle import Outcome, assert_same_outcome, caddy_outcomes_for
from tests.modules_caddyfile.cases_handlers import HANDLER_CASES
from tests.modules_caddyfile.cases_proxy import PROXY_CASES
from tests.modules_caddyfile.generate import HandlerBlockGenerator

GENERATED_SEEDS = list(range(60))
CASES = {**{f"rp_{k}": v for k, v in PROXY_CASES.items()}, **HANDLER_CASES,
         **{f"gen_{seed}": HandlerBlockGenerator(seed).caddyfile() for seed in GENERATED_SEEDS}}


@pytest.fixture(scope="module")
def caddy_outcomes(caddy_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return caddy_outcomes_for(caddy_bin, CASES, tmp_path_factory.mktemp("caddy_oracle"), workers=8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_caddy(name: str, tmp_path: Path, caddy_outcomes: dict[str, Outcome]) -> None:
    assert_same_outcome(CASES[name], tmp_path, caddy_outcomes[name])
