"""Generated Caddyfiles (fixed seeds) adapted by caddy-py and the real caddy: same JSON text,
or the same error message. Hundreds of seeds were checked while writing the core; these stay
as the regression set."""
from __future__ import annotations

from pathlib import Path

import pytest

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.adapter import adapt
from tests.adapter.corpus import chdir
from tests.adapter.generate import CaddyfileGenerator, HandlerMixGenerator
from tests.adapter.oracle import caddy_adapt

SEEDS = [*range(40), 2714, 2871]  # 2714, 2871: a TLS policy shared by two servers is mutated by both


@pytest.mark.parametrize("gen,seed", [(CaddyfileGenerator, s) for s in SEEDS]
                         + [(HandlerMixGenerator, s) for s in range(20)])
def test_generated_caddyfile(gen: type, seed: int, tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    text = gen(seed).caddyfile()
    (tmp_path / "Caddyfile").write_text(text)
    want = caddy_adapt(caddy_bin, tmp_path, env=caddy_env)
    with chdir(tmp_path):
        try:
            got, err = adapt(text.encode(), "Caddyfile", True)[0] + "\n", ""
        except CaddyfileError as e:
            got, err = "", str(e)
    if want.code == 0:
        assert got == want.stdout, text
    else:
        assert err == want.error, text
