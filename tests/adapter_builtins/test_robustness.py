"""Bad input never makes the builtins raise anything but CaddyfileError: the differential cases,
mutated token by token, must adapt or fail with a Caddyfile error (never a traceback)."""
from __future__ import annotations

import random

import pytest

from caddy_py.caddyfile.errors import CaddyfileError
from caddy_py.httpcaddyfile.adapter import adapt
from tests.adapter_builtins.test_differential import CASES

_BASES = [CASES[k] for k in sorted(CASES)]
_VOCAB = sorted({t for c in _BASES for t in c.replace("{", " ").replace("}", " ").split()}) + [
    "{", "}", '""', "-1", "0", "1.5", "abc", "*", "@m"]


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        j = rng.randrange(len(lines))
        toks = lines[j].split(" ")
        k = rng.randrange(len(toks))
        op = rng.random()
        if op < 0.4:
            toks.insert(k, rng.choice(_VOCAB))
        elif op < 0.7:
            del toks[k]
        else:
            toks[k] = rng.choice(_VOCAB)
        lines[j] = " ".join(toks)
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_inputs_fail_cleanly(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(250):
        text = _mutate(rng, rng.choice(_BASES))
        try:
            adapt(text.encode(), "Caddyfile", True, [])
        except CaddyfileError:
            pass
