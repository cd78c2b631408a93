"""``ShellOperation``: shell commands as a block and a task, with output streamed into the run log.

The commands run as one script (so ``cd`` and ``export`` carry from one line to
the next) in a POSIX shell (``bash`` when installed, else ``sh``). For such
shells the script stops at the first failing command (``set -e``) and the
error names that command. Each output line (stdout and stderr merged) is
logged as it arrives, through the run logger inside a flow or task, so it
shows live and is recorded with the run; registered secrets are masked there.
A non-zero exit raises :class:`ShellCommandError` naming the command, the exit
code and the last lines of output.
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import shutil
import subprocess
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, SecretBytes, SecretStr, field_validator

from headwater import task
from headwater.blocks import Block, Secret, SecretBlock, SecretDict
from headwater.errors import HeadwaterError
from headwater.logging import current_logger
from headwater.masking import mask_secrets, register_secret

__all__ = ["ShellCommandError", "ShellOperation", "shell_run_command"]

TAIL_LINES = 20
"""How many of the last output lines a :class:`ShellCommandError` carries."""

_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "ash"})


class ShellCommandError(HeadwaterError, RuntimeError):
    """A shell command exited with a non-zero code.

    ``command`` is the command that failed (or all of them when the shell
    cannot say which), ``exit_code`` its code and ``output_tail`` the last
    lines of output (secrets masked).
    """

    def __init__(self, command: str, exit_code: int, output_tail: Sequence[str]) -> None:
        self.command = command
        self.exit_code = exit_code
        self.output_tail = list(output_tail)
        tail = "\n".join(self.output_tail)
        super().__init__(
            f"command {command!r} failed with exit code {exit_code}"
            + (f"; last lines of output:\n{tail}" if tail else " (no output)")
        )


def _default_shell() -> str:
    return "bash" if shutil.which("bash") else "sh"


def _secret_text(name: str, value: Any) -> str:
    """The plain text of an env value: a string, a pydantic secret, or a secret block."""
    if isinstance(value, SecretStr):
        text = value.get_secret_value()
    elif isinstance(value, SecretBytes):
        text = value.get_secret_value().decode()
    elif isinstance(value, Secret):
        secret = value.get()
        text = secret if isinstance(secret, str) else json.dumps(secret)
    elif isinstance(value, SecretBlock):
        text = value.read_secret().decode("utf-8")
    elif isinstance(value, str | int | float):
        return str(value)
    else:
        raise TypeError(
            f"env[{name!r}] must be a string, a SecretStr or a secret block, not {type(value).__name__}"
        )
    if not isinstance(text, str):
        raise TypeError(f"env[{name!r}]: the secret must be a string, not {type(text).__name__}")
    register_secret(text)
    return text


def _script(commands: Sequence[str], shell: str, status_file: str | None) -> str:
    if status_file is None:
        return "\n".join(commands) + "\n"
    lines = [
        "set -e",
        f"trap 'echo \"$__hw_step\" > {shlex.quote(status_file)}' EXIT",
    ]
    for index, command in enumerate(commands):
        lines.append(f"__hw_step={index}")
        lines.append(command)
    return "\n".join(lines) + "\n"


def run_commands(
    commands: Sequence[str],
    *,
    env: Mapping[str, Any] | None = None,
    working_dir: str | os.PathLike[str] | None = None,
    shell: str | None = None,
    stream_level: int = logging.INFO,
    stream_output: bool = True,
) -> list[str]:
    """Run ``commands`` as one script; returns every output line. See the module docstring."""
    if not commands:
        raise ValueError("commands must list at least one command")
    shell = shell or _default_shell()
    shell_path = shutil.which(shell)
    if shell_path is None:
        raise FileNotFoundError(f"shell {shell!r} is not installed (field 'shell')")
    if working_dir is not None and not Path(working_dir).is_dir():
        raise FileNotFoundError(f"working_dir {os.fspath(working_dir)!r} is not a folder")
    full_env = dict(os.environ)
    for name, value in (env or {}).items():
        full_env[str(name)] = _secret_text(str(name), value)
    posix = Path(shell_path).name in _POSIX_SHELLS
    logger = current_logger("blocks.shell")
    lines: list[str] = []
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    with tempfile.TemporaryDirectory(prefix="headwater-shell-") as tmp:
        status_file = os.path.join(tmp, "step") if posix else None
        script = os.path.join(tmp, "script.sh")
        Path(script).write_text(_script(commands, shell, status_file), encoding="utf-8")
        with subprocess.Popen(
            [shell_path, script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=os.fspath(working_dir) if working_dir is not None else None,
            env=full_env,
            text=True,
            encoding="utf-8",
            errors="replace",
            bufsize=1,
        ) as process:
            assert process.stdout is not None
            for raw in process.stdout:
                line = raw.rstrip("\r\n")
                lines.append(line)
                tail.append(line)
                if stream_output:
                    logger.log(stream_level, line)
            code = process.wait()
        failed = "\n".join(commands)
        if status_file is not None and os.path.exists(status_file):
            step = Path(status_file).read_text().strip()
            if step.isdigit() and int(step) < len(commands):
                failed = commands[int(step)]
    if code != 0:
        raise ShellCommandError(mask_secrets(failed), code, [mask_secrets(line) for line in tail])
    return lines


class ShellOperation(Block):
    """Run shell commands, streaming their output into the run log.

    ``env`` holds plain variables and ``secret_env`` secret ones (a secret
    mapping, which may be a reference such as ``env://DEPLOY_ENV_JSON``);
    :meth:`run` also takes ``env`` values that are secret blocks, such as a
    loaded ``Secret``. The commands run in ``working_dir`` with ``shell``
    (default ``bash``, else ``sh``).

    Example:
        ```python
        from headwater_blocks import ShellOperation

        op = ShellOperation.load("BLOCK_NAME")
        lines = op.run()
        ```
    """

    commands: list[str] = Field(
        min_length=1, description="Commands to run, in order, as one script."
    )
    env: dict[str, str] = Field(default_factory=dict, description="Environment variables to set.")
    secret_env: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Secret environment variables (never shown; may be a reference).",
    )
    working_dir: str | None = Field(default=None, description="Folder to run the commands in.")
    shell: str | None = Field(
        default=None, description="Shell to run with (default bash, else sh)."
    )
    stream_output: bool = Field(default=True, description="Log each output line as it arrives.")

    @field_validator("commands")
    @classmethod
    def _no_blank_commands(cls, value: list[str]) -> list[str]:
        for index, command in enumerate(value):
            if not command.strip():
                raise ValueError(f"commands[{index}] is blank")
        return value

    def _environment(self, extra: Mapping[str, Any] | None) -> dict[str, Any]:
        secret = self.secret_env.get_secret_value() or {}
        if not isinstance(secret, Mapping):
            raise ValueError("field 'secret_env' must hold a mapping of names to values")
        merged: dict[str, Any] = dict(self.env)
        merged.update({str(k): SecretStr(str(v)) for k, v in secret.items()})
        merged.update(extra or {})
        return merged

    def run(self, *, env: Mapping[str, Any] | None = None) -> list[str]:
        """Run the commands; returns every output line. ``env`` adds or overrides variables.

        Raises :class:`ShellCommandError` on a non-zero exit.
        """
        return run_commands(
            self.commands,
            env=self._environment(env),
            working_dir=self.working_dir,
            shell=self.shell,
            stream_output=self.stream_output,
        )


@task
def shell_run_command(
    command: str,
    env: dict[str, Any] | None = None,
    helper_command: str | None = None,
    shell: str | None = None,
    return_all: bool = False,
    stream_level: int = logging.INFO,
    cwd: str | os.PathLike[str] | None = None,
) -> list[str] | str:
    """Run ``command`` (after ``helper_command`` when given) and return its last output line.

    ``return_all=True`` returns every line instead. Output is streamed into the
    task run's log at ``stream_level``; a non-zero exit fails the task with a
    :class:`ShellCommandError`.
    """
    commands = [helper_command, command] if helper_command else [command]
    lines = run_commands(commands, env=env, working_dir=cwd, shell=shell, stream_level=stream_level)
    if return_all:
        return lines
    return lines[-1] if lines else ""
