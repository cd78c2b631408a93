"""Pytest fixtures for testing code that uses Headwater.

Enable with ``pytest_plugins = ["headwater.testing.fixtures"]`` in a
``conftest.py``. To give every test its own home, add an autouse fixture::

    @pytest.fixture(autouse=True)
    def _fresh_home(headwater_home): ...
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from headwater._store import reset_store
from headwater.settings import reset_settings

__all__ = ["headwater_home"]


def _reset_store() -> None:
    reset_store()


@pytest.fixture
def headwater_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A fresh temporary ``HEADWATER_HOME`` (so a fresh SQLite store and encryption key),
    with every other ``HEADWATER_*`` variable unset and settings and the store reset
    before and after the test."""
    home = tmp_path_factory.mktemp("headwater-home")
    for name in list(os.environ):
        if name.startswith("HEADWATER_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    monkeypatch.setenv("HEADWATER_PROGRESS", "false")
    reset_settings()
    _reset_store()
    yield home
    _reset_store()
    reset_settings()
