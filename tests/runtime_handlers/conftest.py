"""Fixtures for handler-module tests: the runtime core's in-process server (`serve`)."""
from __future__ import annotations

from tests.runtime_core.conftest import serve  # noqa: F401  (fixture re-exported)
