"""The conformance suite over the core blocks, and proof that it catches bad blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from headwater.blocks import Block, LocalFileSystem, Secret
from headwater.testing.blocks import assert_block_conforms

pytest_plugins = ["headwater.testing.fixtures"]


@pytest.mark.parametrize(
    "example",
    [
        Secret(value="conformance-secret"),
        Secret(value={"user": "u", "password": "conformance-pw"}),
        LocalFileSystem(basepath="/tmp/conformance"),
    ],
    ids=["secret-str", "secret-json", "local-file-system"],
)
def test_core_blocks_conform(example: Block) -> None:
    assert_block_conforms(type(example), example)


class SloppyConformanceBlock(Block):
    api_token: str
    password: SecretStr


class LeakyConformanceBlock(Block):
    """Shows its secret in repr."""

    password: SecretStr

    def __repr__(self) -> str:
        return f"Leaky({self.password.get_secret_value()})"


def test_suite_reports_every_problem() -> None:
    with pytest.raises(AssertionError) as info:
        assert_block_conforms(
            SloppyConformanceBlock,
            SloppyConformanceBlock(api_token="tok-12345", password="pw-12345"),
        )
    text = str(info.value)
    assert "has no description" in text
    assert "field 'api_token' looks like a secret" in text

    with pytest.raises(AssertionError, match=r"secret value appears in repr\(\)"):
        assert_block_conforms(LeakyConformanceBlock, LeakyConformanceBlock(password="pw-67890"))


def test_fixture_gives_a_fresh_home(headwater_home: Path) -> None:
    import os

    from headwater.settings import get_settings

    assert get_settings().home == headwater_home
    assert os.environ["HEADWATER_HOME"] == str(headwater_home)
    assert Block.list_documents() == []


def test_fixture_plugin_in_another_package(tmp_path: Path) -> None:
    """A package's tests use the plugin: each test gets its own home and store."""
    import os
    import subprocess
    import sys

    (tmp_path / "conftest.py").write_text('pytest_plugins = ["headwater.testing.fixtures"]\n')
    (tmp_path / "test_plugin_use.py").write_text(
        "from headwater.blocks import Block, Secret\n"
        "from headwater.settings import get_settings\n\n"
        "def test_one(headwater_home):\n"
        "    assert get_settings().home == headwater_home\n"
        "    Secret(value='plugin-secret').save('x')\n\n"
        "def test_two(headwater_home):\n"
        "    assert Block.list_documents() == []\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWATER_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_import_headwater_does_not_import_blocks() -> None:
    import subprocess
    import sys

    code = (
        "import sys, headwater\n"
        "heavy = [m for m in ('headwater.blocks', 'pydantic', 'cryptography') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
