"""The blocks every Headwater install has: ``Secret`` and ``LocalFileSystem``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import Field, SecretStr

from headwater._files import atomic_write, confined_path
from headwater.blocks.interfaces import SecretBlock, WritableFileSystem
from headwater.blocks.secrets import SecretDict, SecretJson

__all__ = ["LocalFileSystem", "Secret"]


class Secret(SecretBlock):
    """A secret string or JSON value, kept encrypted and masked in logs.

    The value may be a reference (``env://NAME``, ``file:///path``) resolved
    where the secret is used.

    Example:
        ```python
        from headwater.blocks import Secret

        secret = Secret.load("BLOCK_NAME")
        value = secret.get()
        ```
    """

    _documentation_url = "https://headwater.dev/blocks/#secret"

    value: SecretStr | SecretDict | SecretJson = Field(
        description="The secret: a string, a JSON value, or a reference such as env://NAME."
    )

    def get(self) -> Any:
        """The secret value (a reference is resolved now)."""
        return self.value.get_secret_value()

    def read_secret(self) -> bytes:
        value = self.get()
        if isinstance(value, str):
            return value.encode("utf-8")
        return json.dumps(value).encode("utf-8")

    def write_secret(self, secret_data: bytes) -> str:
        """Set the value (JSON when ``secret_data`` is a JSON object or list, else text) and,
        if this block was saved, save it again; returns ``secret/<name>`` or ``""``."""
        text = secret_data.decode("utf-8")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        self.value = parsed if isinstance(parsed, dict | list) else text  # type: ignore[assignment]
        name = self.block_document_name
        if name:
            self.save(name, overwrite=True)
            return f"{type(self).get_block_type_slug()}/{name}"
        return ""


class LocalFileSystem(WritableFileSystem):
    """A folder on this machine; every path stays inside it.

    ``..`` and absolute paths that leave the folder are refused. Usable as
    result storage (``result_storage=LocalFileSystem(basepath=...)``).

    Example:
        ```python
        from headwater.blocks import LocalFileSystem

        fs = LocalFileSystem.load("BLOCK_NAME")
        data = fs.read_path("reports/today.csv")
        ```
    """

    _documentation_url = "https://headwater.dev/blocks/#localfilesystem"

    basepath: str | None = Field(
        default=None, description="The folder (default: the working directory when used)."
    )

    def _base(self) -> Path:
        return Path(self.basepath or os.getcwd()).expanduser().resolve()

    def _resolve(self, path: str | os.PathLike[str]) -> Path:
        return confined_path(self._base(), path, owner="LocalFileSystem")

    def read_path(self, path: str) -> bytes:
        """The bytes at ``path`` (relative to basepath); FileNotFoundError when missing."""
        return self._resolve(path).read_bytes()

    def write_path(self, path: str, content: bytes) -> str:
        """Write ``content`` at ``path`` atomically (temp file + rename); returns the full path."""
        return atomic_write(self._resolve(path), content)

    def exists(self, path: str) -> bool:
        return self._resolve(path).is_file()

    def read_head(self, path: str, size: int) -> bytes:
        """The first ``size`` bytes at ``path`` (lets result stores read headers cheaply)."""
        with self._resolve(path).open("rb") as fh:
            return fh.read(size)

    @property
    def storage_url(self) -> str | None:
        """``block://local-file-system/<name>`` once saved, else the folder's ``file://`` URL."""
        saved = super().storage_url
        return saved if saved else "file://" + quote(self._base().as_posix())
