"""Fixtures for the CLI tests: a CLI runner and a seeder of runs in the real store."""

from __future__ import annotations

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater import _store


@pytest.fixture(autouse=True)
def _no_terminal_size_from_the_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytest-xdist workers export COLUMNS=80, which the CLI honours as a user's own
    setting; the tests check what a pipe gets when nobody set it."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seed() -> Seeder:
    return Seeder(_store.get_store())
