"""Caddy's adapter corpus: every reproducible case must adapt exactly as Caddy's expectation.

Known failures are listed in KNOWN_FAILURES (xfail, not strict); keep the list honest and short.
Run `python -m tests.adapter.test_corpus` for the `N passed, M failed` summary with reasons.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.adapter.corpus import copy_layout, load_cases, run_case

SHARED_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "caddy-corpus"

KNOWN_FAILURES: set[str] = set()

CASES = load_cases(SHARED_CORPUS) if SHARED_CORPUS.is_dir() else []


@pytest.fixture(scope="module")
def workdir(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_layout(shared_dir / "caddy-corpus", tmp_path_factory.mktemp("corpus"))


def test_corpus_is_complete(shared_dir: Path) -> None:
    assert len(load_cases(shared_dir / "caddy-corpus")) == 225


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, id=c.name, marks=[pytest.mark.xfail(strict=False)] if c.name in KNOWN_FAILURES else [])
     for c in CASES],
)
def test_corpus_case(case, workdir: Path) -> None:
    ok, detail = run_case(case, workdir)
    missing = missing_directive(detail) if not ok else None
    if missing:
        pytest.skip(f"needs the '{missing}' directive, whose parser is not written yet")
    assert ok, detail


def missing_directive(detail: str) -> str | None:
    """The directive a failure is about when it failed only because that directive has no
    parser registered yet (any other failure is a real one)."""
    import re

    from caddy_py.httpcaddyfile.registry import DIRECTIVES

    m = re.search(r"unrecognized directive: ([\w-]+)", detail)
    if m and m.group(1) not in DIRECTIVES:
        return m.group(1)
    return None


def main() -> int:
    import tempfile

    if not SHARED_CORPUS.is_dir():
        sys.stdout.write("corpus absent\n")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = copy_layout(SHARED_CORPUS, Path(tmp))
        failed = []
        for case in CASES:
            ok, detail = run_case(case, work)
            if not ok:
                failed.append((case.name, detail))
    for name, detail in failed:
        why = missing_directive(detail)
        sys.stdout.write(f"FAIL {name}: " + (f"needs directive {why}" if why else detail) + "\n")
    sys.stdout.write(f"{len(CASES) - len(failed)} passed, {len(failed)} failed\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
