"""ShellOperation and shell_run_command: real subprocesses, output streamed into the run log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from headwater import flow
from headwater.blocks import Secret
from headwater.testing.reader import flow_run_logs
from headwater_blocks import ShellCommandError, ShellOperation, shell_run_command


def test_run_returns_output_lines_with_env_and_working_dir(tmp_path: Path) -> None:
    (tmp_path / "marker.txt").write_text("here")
    op = ShellOperation(
        commands=[
            "echo hello $WHO",
            "cd sub 2>/dev/null || true",
            "cat marker.txt; echo",
            "echo err >&2",
        ],
        env={"WHO": "world"},
        working_dir=str(tmp_path),
    )
    assert op.run() == ["hello world", "here", "err"]


def test_commands_share_one_script_state() -> None:
    op = ShellOperation(commands=["export A=1", "B=2", 'echo "$A$B"'])
    assert op.run() == ["12"]


def test_run_env_overrides_and_accepts_secret_blocks() -> None:
    op = ShellOperation(commands=['echo "$X-$TOKEN"'], env={"X": "a"})
    assert op.run(env={"X": "b", "TOKEN": Secret(value="tok-zzz999")}) == ["b-tok-zzz999"]


def test_non_zero_exit_names_the_failing_command_code_and_tail() -> None:
    op = ShellOperation(commands=["echo one", "echo two", "exit 3", "echo never"])
    with pytest.raises(ShellCommandError) as info:
        op.run()
    err = info.value
    assert (err.command, err.exit_code) == ("exit 3", 3)
    assert err.output_tail == ["one", "two"]
    assert "'exit 3' failed with exit code 3" in str(err)
    assert "two" in str(err)


def test_the_first_failing_command_stops_the_script() -> None:
    op = ShellOperation(commands=["false", "echo not reached"])
    with pytest.raises(ShellCommandError, match="'false' failed with exit code 1") as info:
        op.run()
    assert info.value.output_tail == []


def test_secret_env_is_masked_in_logs_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_TEST_SHELL_TOKEN", "tok-from-env-777")
    op = ShellOperation(
        commands=['echo "token is $API_TOKEN"', "exit 2"],
        secret_env={"API_TOKEN": "env://HW_TEST_SHELL_TOKEN"},
    )
    op.save("deploy")
    loaded = ShellOperation.load("deploy")
    assert "tok-from-env-777" not in repr(loaded)

    @flow
    def deploy() -> None:
        loaded.run()

    state = deploy(return_state=True)
    assert state.is_failed()
    assert "tok-from-env-777" not in (state.message or "")
    logs = flow_run_logs()
    assert "token is ********" in logs
    assert not any("tok-from-env-777" in line for line in logs)


def test_output_is_streamed_into_the_task_run_log() -> None:
    @flow
    def pipeline() -> str | list[str]:
        return shell_run_command("echo first; echo second")

    assert pipeline() == "second"
    logs = flow_run_logs()
    assert logs.index("first") < logs.index("second")


def test_output_lines_are_logged_as_they_arrive(tmp_path: Path) -> None:
    """'ready' is logged while the script still runs: the flag a later command makes is not there yet."""
    flag = tmp_path / "done.flag"
    seen: list[tuple[str, bool]] = []

    class Probe(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append((record.getMessage(), flag.exists()))

    logger = logging.getLogger("headwater.blocks.shell")
    probe = Probe()
    logger.addHandler(probe)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        out = ShellOperation(
            commands=["echo ready", "sleep 0.2", f"touch {flag}", "echo done"]
        ).run()
    finally:
        logger.removeHandler(probe)
        logger.setLevel(old_level)
    assert out == ["ready", "done"]
    assert seen == [("ready", False), ("done", True)]


def test_shell_run_command_options(tmp_path: Path) -> None:
    lines = shell_run_command.fn(
        'echo "$GREETING"; pwd',
        env={"GREETING": "hi"},
        helper_command="export GREETING=hello",
        cwd=str(tmp_path),
        return_all=True,
    )
    # helper_command runs first in the same script, so its export is what the command sees
    assert lines == ["hello", str(tmp_path)]
    assert shell_run_command.fn("echo a; echo b") == "b"


def test_shell_run_command_fails_the_task_with_a_clear_error() -> None:
    @flow
    def pipeline() -> None:
        shell_run_command("echo partial; exit 7")

    state = pipeline(return_state=True)
    assert state.is_failed()
    assert "exit code 7" in (state.message or "")


def test_invalid_fields_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="commands"):
        ShellOperation(commands=[])
    with pytest.raises(ValidationError, match=r"commands\[1\] is blank"):
        ShellOperation(commands=["echo", "  "])
    with pytest.raises(FileNotFoundError, match="working_dir"):
        ShellOperation(commands=["true"], working_dir=str(tmp_path / "missing")).run()
    with pytest.raises(FileNotFoundError, match="shell 'no-such-shell'"):
        ShellOperation(commands=["true"], shell="no-such-shell").run()
