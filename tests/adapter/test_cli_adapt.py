"""`caddy-py adapt` as a process, against the real `caddy adapt`: stdout bytes, exit status and
the messages of the zap-style stderr lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapter.oracle import ROOT, caddy_adapt, caddy_py_adapt, run_adapt

import sys


@pytest.mark.parametrize("text", [
    ':8080 {\n\trespond "hi"\n}\n',
    ':8080 {\nrespond "hi"\n}\n',  # unformatted: a warning with file and line
    ':8080 {\n\trespnd "hi"\n}\n',  # an error
    '',  # a zero-byte file is an error (EOF); whitespace alone adapts to {}
    '\n',
])
def test_process_matches_caddy(text: str, tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    (tmp_path / "Caddyfile").write_text(text)
    want = caddy_adapt(caddy_bin, tmp_path, env=caddy_env)
    got = caddy_py_adapt(tmp_path, env=caddy_env)
    assert (got.code, got.stdout, got.error, got.warnings) == (want.code, want.stdout, want.error, want.warnings)


def test_missing_file(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    want = caddy_adapt(caddy_bin, tmp_path, "nope", env=caddy_env)
    got = caddy_py_adapt(tmp_path, "nope", env=caddy_env)
    assert want.code == got.code == 1
    assert got.error == want.error


def test_compact_output_and_default_config(tmp_path: Path, caddy_bin: str, caddy_env: dict[str, str]) -> None:
    (tmp_path / "Caddyfile").write_text('example.com {\n\trespond "<hi>"\n}\n')
    env = dict(caddy_env)
    env["PYTHONPATH"] = str(ROOT)
    want = run_adapt([caddy_bin, "adapt"], tmp_path, caddy_env)
    got = run_adapt([sys.executable, "-m", "caddy_py", "adapt"], tmp_path, env)
    assert got.code == want.code == 0
    assert got.stdout == want.stdout


@pytest.mark.parametrize("name,text", [
    ("Caddyfile", ':8080 {\n\trespond "hi"\n}\n'),
    ("c.json", '{"apps":{"http":{"servers":{"s":{"listen":[":8080"],"routes":[{"handle":[{"handler":"nope"}]}]}}}}}'),
    ("bad.json", '{"apps": '),
])
def test_validate_exit_status_matches_caddy(name: str, text: str, tmp_path: Path, caddy_bin: str,
                                            caddy_env: dict[str, str]) -> None:
    (tmp_path / name).write_text(text)
    env = dict(caddy_env)
    env["PYTHONPATH"] = str(ROOT)
    want = run_adapt([caddy_bin, "validate", "--config", name], tmp_path, caddy_env)
    got = run_adapt([sys.executable, "-m", "caddy_py", "validate", "--config", name], tmp_path, env)
    assert got.code == want.code
    assert got.stdout == want.stdout


@pytest.mark.parametrize("text", ["", ':8080 {\n\trespnd "hi"\n}\n'])
def test_validate_names_the_adapter_in_its_error(text: str, tmp_path: Path, caddy_bin: str,
                                                 caddy_env: dict[str, str]) -> None:
    (tmp_path / "Caddyfile").write_text(text)
    env = dict(caddy_env, PYTHONPATH=str(ROOT))
    want = run_adapt([caddy_bin, "validate", "--config", "Caddyfile"], tmp_path, caddy_env)
    got = run_adapt([sys.executable, "-m", "caddy_py", "validate", "--config", "Caddyfile"], tmp_path, env)
    assert want.code == got.code == 1
    assert want.error.startswith("adapting config using caddyfile: ")
    assert got.error == want.error
