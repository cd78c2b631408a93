"""``headwater block export`` when some saved blocks cannot be exported in this process.

A document whose type is not installed (saved by a class the exporting process
cannot import), or whose stored data no longer fits its class, is skipped with a
warning naming it and why; every other block is still written, and the command
exits 1 so a script notices the export is incomplete.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import ClassVar

import yaml
from pydantic import SecretStr

from headwater._store import BlockDocumentRecord, get_store
from headwater.blocks import Block, Secret

THROWAWAY_SECRET = "throwaway-literal-7781"


def _command() -> list[str]:
    script = Path(sys.executable).with_name("headwater")
    if script.exists():
        return [str(script)]
    found = shutil.which("headwater")
    return [found] if found else [sys.executable, "-m", "headwater.cli"]


def _export(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console script in a new process (which cannot import this test's classes)."""
    get_store().flush()
    return subprocess.run(
        [*_command(), "block", "export", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
        check=False,
    )


def _save_throwaway() -> str:
    """Save a document of a type defined here only; returns its address."""
    slug = f"throwaway-{uuid.uuid4().hex[:8]}"

    class Throwaway(Block):
        _block_type_slug: ClassVar[str | None] = slug
        token: SecretStr
        label: str = "x"

    Throwaway(token=SecretStr(THROWAWAY_SECRET)).save("gone")
    return f"{slug}/gone"


def test_export_skips_a_type_that_is_not_installed(tmp_path: Path) -> None:
    Secret(value="env://KEPT").save("kept")
    address = _save_throwaway()

    result = _export()
    assert result.returncode == 1, result.stderr
    exported = yaml.safe_load(result.stdout)
    assert exported == [{"type": "secret", "name": "kept", "data": {"value": "env://KEPT"}}]
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"Warning: {address}: not exported: "), result.stderr
    assert "throwaway-" in lines[0]
    assert lines[-1] == (
        f"Error: 1 of 2 block(s) not exported ({address}); the other 1 were written"
    )
    assert "Traceback" not in result.stderr
    assert THROWAWAY_SECRET not in result.stdout + result.stderr

    target = tmp_path / "export.yaml"
    to_file = _export("-f", str(target))
    assert to_file.returncode == 1
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == exported
    assert f"Exported 1 block(s) to {target}." in to_file.stderr


def test_export_skips_a_document_that_no_longer_fits_its_class() -> None:
    """A planted record of an installed type with data its class rejects."""
    Secret(value="env://KEPT").save("kept")
    now = time.time()
    get_store().save_block_document(
        BlockDocumentRecord(
            id=str(uuid.uuid4()),
            block_type_slug="secret",
            name="drifted",
            schema_version=1,
            data='{"colour": "crimson-3311"}',
            created=now,
            updated=now,
        ),
        overwrite=False,
    )
    result = _export()
    assert result.returncode == 1, result.stderr
    assert [e["name"] for e in yaml.safe_load(result.stdout)] == ["kept"]
    assert "Warning: secret/drifted: not exported: " in result.stderr
    assert "crimson-3311" not in result.stderr


def test_export_of_installed_types_only_still_exits_0() -> None:
    Secret(value="env://KEPT").save("kept")
    result = _export()
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
