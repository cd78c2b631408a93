"""``--state`` on both run listings: a bad value is a usage error naming the option."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from headwater.cli import app


@pytest.mark.parametrize(
    "command", [["flow-run", "ls"], ["task-run", "ls", "--flow-run", "abcdef"]]
)
def test_unknown_state_is_a_usage_error_listing_the_choices(
    runner: CliRunner, command: list[str]
) -> None:
    result = runner.invoke(app, [*command, "--state", "failed", "--state", "sideways"])
    assert result.exit_code == 2
    assert "--state" in result.stderr
    assert "'sideways' is not a state type or name" in " ".join(result.stderr.split())
    assert result.stdout == ""
