"""Vendor-neutral ready-made blocks for Headwater.

- :class:`RemoteFileSystem`: a WritableFileSystem on any fsspec URL (usable as result storage).
- Notifications: :class:`SlackWebhook`, :class:`MicrosoftTeamsWebhook`,
  :class:`DiscordWebhook`, :class:`CustomWebhook` and :class:`SmtpEmail`
  (with the :func:`email_send_message` task). Webhooks and ``SmtpEmail`` refuse
  private and loopback hosts unless the block sets ``allow_private_urls=True``.
- SQL: :class:`SqlAlchemyConnector` (a DatabaseBlock) with the
  :func:`sqlalchemy_query` and :func:`sqlalchemy_execute` tasks.
- Shell: :class:`ShellOperation` and the :func:`shell_run_command` task.

Names are imported on first use, so ``import headwater_blocks`` does not load
SQLAlchemy, httpx or fsspec until a block that needs them is used. Every block
is also registered under the ``headwater.blocks`` entry point group, so
``Block.load("slack-webhook/alerts")`` works without importing this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from headwater_blocks._version import __version__

if TYPE_CHECKING:
    from headwater_blocks.email import SmtpEmail, email_send_message
    from headwater_blocks.filesystems import RemoteFileSystem
    from headwater_blocks.notifications import DiscordWebhook, MicrosoftTeamsWebhook, SlackWebhook
    from headwater_blocks.shell import ShellCommandError, ShellOperation, shell_run_command
    from headwater_blocks.sql import SqlAlchemyConnector, sqlalchemy_execute, sqlalchemy_query
    from headwater_blocks.webhooks import (
        CustomWebhook,
        NotificationError,
        UnsafeUrlError,
        check_url,
    )

__all__ = [
    "CustomWebhook",
    "DiscordWebhook",
    "MicrosoftTeamsWebhook",
    "NotificationError",
    "RemoteFileSystem",
    "ShellCommandError",
    "ShellOperation",
    "SlackWebhook",
    "SmtpEmail",
    "SqlAlchemyConnector",
    "UnsafeUrlError",
    "__version__",
    "check_url",
    "email_send_message",
    "shell_run_command",
    "sqlalchemy_execute",
    "sqlalchemy_query",
]

_LAZY = {
    "CustomWebhook": "headwater_blocks.webhooks",
    "DiscordWebhook": "headwater_blocks.notifications",
    "MicrosoftTeamsWebhook": "headwater_blocks.notifications",
    "NotificationError": "headwater_blocks.webhooks",
    "RemoteFileSystem": "headwater_blocks.filesystems",
    "ShellCommandError": "headwater_blocks.shell",
    "ShellOperation": "headwater_blocks.shell",
    "SlackWebhook": "headwater_blocks.notifications",
    "SmtpEmail": "headwater_blocks.email",
    "SqlAlchemyConnector": "headwater_blocks.sql",
    "UnsafeUrlError": "headwater_blocks.webhooks",
    "check_url": "headwater_blocks.webhooks",
    "email_send_message": "headwater_blocks.email",
    "shell_run_command": "headwater_blocks.shell",
    "sqlalchemy_execute": "headwater_blocks.sql",
    "sqlalchemy_query": "headwater_blocks.sql",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'headwater_blocks' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
