"""A flow written for Prefect 3 runs on Headwater after renaming its imports.

tests/prefect_style/ holds scripts written against Prefect 3's public API (they
are never imported as-is: Prefect is not installed here). The test rewrites
``prefect`` to ``headwater`` in the import lines only and runs the result.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = sorted((Path(__file__).parent / "prefect_style").glob("*.py"))


def rename_imports(source: str) -> str:
    return re.sub(r"^(from|import) prefect\b", r"\1 headwater", source, flags=re.MULTILINE)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_prefect_flow_runs_after_renaming_imports(
    script: Path, tmp_path: Path, headwater_home: Path
) -> None:
    original = script.read_text()
    renamed = rename_imports(original)
    assert "from prefect" not in renamed
    # only import lines changed
    changed = [
        a for a, b in zip(original.splitlines(), renamed.splitlines(), strict=True) if a != b
    ]
    assert changed, "the script should import from prefect"
    assert all(line.startswith(("from prefect", "import prefect")) for line in changed)
    target = tmp_path / script.name
    target.write_text(renamed)
    env = {**os.environ, "HEADWATER_HOME": str(headwater_home)}
    proc = subprocess.run(
        [sys.executable, str(target)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert "PREFECT-STYLE OK" in proc.stdout

    listing = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "flow-run", "ls", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    runs = json.loads(listing.stdout)
    names = {r["flow_name"] for r in runs}
    assert {"prefect-style-etl", "child-flow", "async-etl"} <= names, names
    child = next(r for r in runs if r["flow_name"] == "child-flow")
    assert child["name"] == "child-x"
    assert child["parent_flow_run_id"]
