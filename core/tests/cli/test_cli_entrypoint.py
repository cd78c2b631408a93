"""The installed ``headwater`` console script, run as a real process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from cli_support import Seeder

from headwater._version import __version__


def _command() -> list[str]:
    script = Path(sys.executable).with_name("headwater")
    if script.exists():
        return [str(script)]
    found = shutil.which("headwater")
    return [found] if found else [sys.executable, "-m", "headwater.cli"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=False,
    )


def test_version() -> None:
    result = _run("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"headwater {__version__}"


def test_flow_run_ls_json_reads_the_same_database(seed: Seeder) -> None:
    run = seed.flow_run("calm-otter", tags=["nightly"])
    seed.store.flush()
    result = _run("flow-run", "ls", "-o", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(r["id"], r["name"], r["tags"]) for r in data] == [(run.id, "calm-otter", ["nightly"])]


def test_python_dash_m_unknown_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "flow-run", "inspect", "abc123"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == "Error: flow run 'abc123' not found"
