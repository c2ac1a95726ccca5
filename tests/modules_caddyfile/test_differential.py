"""Differential tests of the handler modules' Caddyfile parsers: caddy-py adapt must print what
the real `caddy adapt --pretty` prints (warnings included), or fail with the same message.

Besides the hand-written cases, generated blocks with fixed seeds run too: 4000 seeds were
checked while writing the parsers (they found encode's shared `match` map, now a hand-written
case); these stay as the regression set."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.adapter.oracle import Outcome, caddy_adapt, caddy_py_adapt_inprocess
from tests.modules_caddyfile.cases_handlers import HANDLER_CASES
from tests.modules_caddyfile.cases_proxy import PROXY_CASES
from tests.modules_caddyfile.generate import HandlerBlockGenerator

GENERATED_SEEDS = list(range(60))
CASES = {**{f"rp_{k}": v for k, v in PROXY_CASES.items()}, **HANDLER_CASES,
         **{f"gen_{seed}": HandlerBlockGenerator(seed).caddyfile() for seed in GENERATED_SEEDS}}


@pytest.fixture(scope="module")
def caddy_outcomes(caddy_bin: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """What the real caddy says for every case, computed once with the runs in parallel."""
    root = tmp_path_factory.mktemp("caddy_oracle")
    env = dict(os.environ, HOME=str(root), XDG_DATA_HOME=str(root / "data"), XDG_CONFIG_HOME=str(root / "config"))

    def run(name: str) -> tuple[str, Outcome]:
        folder = root / name
        folder.mkdir()
        (folder / "Caddyfile").write_text(CASES[name])
        return name, caddy_adapt(caddy_bin, folder, env=env)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(pool.map(run, sorted(CASES)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_as_caddy(name: str, tmp_path: Path, caddy_outcomes: dict[str, Outcome]) -> None:
    (tmp_path / "Caddyfile").write_text(CASES[name])
    want = caddy_outcomes[name]
    got = caddy_py_adapt_inprocess(tmp_path)
    assert got.code == want.code, (want, got)
    if want.code == 0:
        assert got.stdout == want.stdout
        assert got.warnings == want.warnings
    else:
        assert got.error == want.error
