"""Caddy's own adapter test corpus (caddytest/integration/caddyfile_adapt), run against caddy-py.

Each case is a Caddyfile, a `----------` line, then the expected JSON (compared byte for byte
after tab indentation) or a substring of the expected error. As Caddy's test does, the input
is `TrimSpace(part0) + "\\n"` adapted as a file named `Caddyfile` from the `integration/`
directory (with `testdata/` beside it and `caddy.ca.cer` one level up).
"""
from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from caddy_py import gojson
from caddy_py.caddyfile.errors import CaddyfileError

# Cases that need test-only Caddy modules (dns.providers.mock, tls.client_auth.verifier.dummy),
# absent from a release binary: not reproducible, left out of the count.
UNREPRODUCIBLE_MARKERS = ("dns mock", "acme_dns mock", "verifier dummy")


@dataclass
class Case:
    name: str
    caddyfile: str
    expected: str

    @property
    def expects_json(self) -> bool:
        return self.expected.startswith("{")


def load_cases(corpus: Path) -> list[Case]:
    cases = []
    folder = corpus / "integration" / "caddyfile_adapt"
    for path in sorted(folder.iterdir()):
        if not path.is_file():
            continue
        data = path.read_text()
        parts = data.split("----------")
        if len(parts) < 2:
            continue
        caddyfile = parts[0].strip() + "\n"
        if any(m in caddyfile for m in UNREPRODUCIBLE_MARKERS):
            continue
        expected = parts[1].strip().replace("\r\n", "\n")
        cases.append(Case(path.name, caddyfile, expected))
    return cases


def copy_layout(corpus: Path, tmp: Path) -> Path:
    """Copy integration/testdata and the certificates into tmp; return tmp/integration."""
    integ = tmp / "integration"
    shutil.copytree(corpus / "integration" / "testdata", integ / "testdata")
    for f in corpus.iterdir():
        if f.is_file():
            shutil.copy(f, tmp / f.name)
    return integ


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def run_case(case: Case, workdir: Path) -> tuple[bool, str]:
    """(passed, detail) for one case, adapting in-process from `workdir`."""
    from caddy_py.httpcaddyfile.adapter import adapt_to_config

    with chdir(workdir):
        try:
            cfg, _ = adapt_to_config(case.caddyfile.encode(), "Caddyfile")
            actual, err = gojson.dumps(cfg, pretty=True), ""
        except CaddyfileError as e:
            actual, err = "", str(e)
        except Exception as e:  # a crash is a failure to report, not to hide
            actual, err = "", f"CRASH {type(e).__name__}: {e}"
    if case.expects_json:
        if err:
            return False, f"error: {err}"
        return actual == case.expected, _first_diff(case.expected, actual)
    if not err:
        return False, "expected an error, got JSON"
    return case.expected in err.replace("\r\n", "\n") and not err.startswith("CRASH"), f"error: {err}"


def _first_diff(expected: str, actual: str) -> str:
    e, a = expected.split("\n"), actual.split("\n")
    for i, (x, y) in enumerate(zip(e, a)):
        if x != y:
            return f"line {i + 1}: expected {x.strip()!r}, got {y.strip()!r}"
    if len(e) != len(a):
        return f"length differs: expected {len(e)} lines, got {len(a)}"
    return ""
