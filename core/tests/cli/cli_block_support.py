"""Block classes and helpers for the ``headwater block`` tests.

The classes register themselves (slugs ``cli-database-credentials``,
``cli-warehouse``, ``cli-versioned``, ``cli-fragile``) when this module is imported, exactly as
a user's blocks do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import SecretStr
from typer.testing import Result

from headwater.blocks import Block, CheckResult, CredentialsBlock

SECRET_VALUE = "hunter2-s3cr3t-value"
"""A literal secret used in tests; it must never appear in any CLI output."""


class CliDatabaseCredentials(CredentialsBlock):
    """Credentials for the CLI tests' pretend database.

    The check succeeds when the password is ``right``.

    Example:
        ```python
        creds = CliDatabaseCredentials.load("prod")
        ```
    """

    host: str
    port: int = 5432
    username: str = "app"
    password: SecretStr
    api_token: SecretStr | None = None

    def get_client(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port}

    def check(self) -> CheckResult:
        if self.password.get_secret_value() == "right":
            return CheckResult(ok=True, message=f"connected to {self.host}:{self.port}")
        return CheckResult(ok=False, message=f"authentication failed for {self.username}")


class CliWarehouse(Block):
    """A warehouse that uses database credentials (a nested block)."""

    credentials: CliDatabaseCredentials
    schema_name: str = "public"


class CliVersioned(Block):
    """A block whose schema version the migrate tests raise."""

    _block_schema_version: ClassVar[int] = 1
    label: str


class CliFragile(Block):
    """A block whose save fails for the value ``fail`` (to test apply's rollback)."""

    value: str

    def save(self, name: str, *, overwrite: bool = False) -> str:
        if self.value == "fail":
            raise ValueError(f"cannot save {name!r}: the disk is full")
        return super().save(name, overwrite=overwrite)


def output_of(result: Result) -> str:
    """Everything a command printed, stdout and stderr."""
    return result.stdout + result.stderr


def assert_secret_hidden(result: Result, *secrets: str) -> None:
    text = output_of(result)
    for secret in secrets or (SECRET_VALUE,):
        assert secret not in text, f"secret leaked into CLI output: {text!r}"
