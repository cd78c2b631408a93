"""Every example in docs/examples runs to completion on the embedded store.

The docs pages include these files, so an example that stops working fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "docs" / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs(example: Path, headwater_home: Path) -> None:
    env = {**os.environ, "HEADWATER_HOME": str(headwater_home)}
    proc = subprocess.run(
        [sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, f"{example.name} failed:\n{proc.stdout}\n{proc.stderr}"
    listing = subprocess.run(
        [sys.executable, "-m", "headwater.cli", "flow-run", "ls", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.strip().startswith("["), listing.stdout
    assert '"flow_name"' in listing.stdout, f"{example.name} recorded no flow run"


PAGES = sorted((Path(__file__).resolve().parent.parent / "docs" / "pages").glob("*.md"))
_EMBED = re.compile(
    r"<!-- begin example: (?P<path>\S+) -->.*?```python\n(?P<code>.*?)```\s*<!-- end example -->",
    re.S,
)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_embedded_examples_match_their_scripts(page: Path) -> None:
    """A page that embeds docs/examples/X.py shows exactly what the tested script holds."""
    root = page.parent.parent.parent
    for match in _EMBED.finditer(page.read_text()):
        script = root / match["path"]
        assert script.is_file(), f"{page.name} embeds {match['path']}, which does not exist"
        assert match["code"] == script.read_text(), (
            f"{page.name}: the copy of {match['path']} is out of date"
        )
