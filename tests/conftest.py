from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def headwater_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Each test gets its own HEADWATER_HOME and no leaked HEADWATER_* settings."""
    for name in list(os.environ):
        if name.startswith("HEADWATER_"):
            monkeypatch.delenv(name)
    home = tmp_path / "hw-home"
    monkeypatch.setenv("HEADWATER_HOME", str(home))
    monkeypatch.setenv("HEADWATER_PROGRESS", "false")
    return home
