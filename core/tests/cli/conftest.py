"""Fixtures for the CLI tests: a CLI runner and a seeder of runs in the real store."""

from __future__ import annotations

import pytest
from cli_support import Seeder
from typer.testing import CliRunner

from headwater import _store


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def seed() -> Seeder:
    return Seeder(_store.get_store())
