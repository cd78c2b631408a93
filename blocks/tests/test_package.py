"""The package contract (the core's headwater.testing.packaging checks)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import headwater_blocks
from headwater.testing.packaging import (
    assert_distribution_layout,
    assert_entry_points,
    assert_import_is_light,
    assert_public_api,
)

PROJECT = Path(__file__).resolve().parents[1]


def test_distribution_layout_version_and_core_range() -> None:
    assert_distribution_layout(PROJECT, "headwater-blocks")


def test_public_api_is_sorted_and_resolves() -> None:
    assert_public_api(headwater_blocks)


def test_import_is_lazy() -> None:
    """``import headwater_blocks`` loads no driver library until a block is used."""
    assert_import_is_light(
        "headwater_blocks",
        ["sqlalchemy", "httpx", "fsspec"],
        then=(
            "headwater_blocks.SlackWebhook\n"
            "assert 'httpx' in sys.modules and 'sqlalchemy' not in sys.modules"
        ),
    )


def test_every_block_is_an_entry_point_under_its_slug() -> None:
    assert_entry_points(
        "headwater-blocks",
        "headwater.blocks",
        {
            "custom-webhook": "CustomWebhook",
            "discord-webhook": "DiscordWebhook",
            "microsoft-teams-webhook": "MicrosoftTeamsWebhook",
            "remote-file-system": "RemoteFileSystem",
            "shell-operation": "ShellOperation",
            "slack-webhook": "SlackWebhook",
            "smtp-email": "SmtpEmail",
            "sqlalchemy-connector": "SqlAlchemyConnector",
        },
    )


def test_blocks_load_through_entry_points_without_importing_the_package() -> None:
    """In a fresh process, Block.load("slug/name") finds the class through the entry point."""
    code = (
        "from headwater.blocks import Block, get_block_class; "
        "cls = get_block_class('sqlalchemy-connector'); "
        "assert cls.__module__ == 'headwater_blocks.sql', cls"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120, env=dict(os.environ))
