"""The core's block conformance suite over every block of this package."""

from __future__ import annotations

from pathlib import Path

import pytest

from headwater.blocks import Block, get_block_class, registered_block_types
from headwater.testing.blocks import assert_block_conforms
from headwater_blocks import (
    CustomWebhook,
    DiscordWebhook,
    MicrosoftTeamsWebhook,
    RemoteFileSystem,
    ShellOperation,
    SlackWebhook,
    SmtpEmail,
    SqlAlchemyConnector,
)

EXAMPLES: dict[type[Block], Block] = {
    RemoteFileSystem: RemoteFileSystem(
        basepath="memory://conformance/data", settings={"token": "fs-token-1234"}
    ),
    SlackWebhook: SlackWebhook(url="https://hooks.slack.com/services/T0/B0/slack-secret"),
    MicrosoftTeamsWebhook: MicrosoftTeamsWebhook(
        url="https://example.webhook.office.com/teams-secret"
    ),
    DiscordWebhook: DiscordWebhook(url="https://discord.com/api/webhooks/1/discord-secret"),
    CustomWebhook: CustomWebhook(
        url="https://example.com/hook",
        headers={"Authorization": "Bearer {{token}}"},
        json_data={"text": "{{body}}"},
        secrets={"token": "custom-secret-99"},
    ),
    SmtpEmail: SmtpEmail(
        smtp_server="smtp.example.com", username="me@example.com", password="smtp-secret-1"
    ),
    SqlAlchemyConnector: SqlAlchemyConnector(
        url="postgresql+psycopg://etl@db.example.com/warehouse", password="db-secret-1"
    ),
    ShellOperation: ShellOperation(commands=["echo hi"], secret_env={"TOKEN": "shell-secret-1"}),
}

ENTRY_POINTS = {
    "custom-webhook": CustomWebhook,
    "discord-webhook": DiscordWebhook,
    "microsoft-teams-webhook": MicrosoftTeamsWebhook,
    "remote-file-system": RemoteFileSystem,
    "shell-operation": ShellOperation,
    "slack-webhook": SlackWebhook,
    "smtp-email": SmtpEmail,
    "sqlalchemy-connector": SqlAlchemyConnector,
}


@pytest.mark.parametrize("block_cls", list(EXAMPLES), ids=lambda c: c.__name__)
def test_block_conforms(block_cls: type[Block], headwater_home: Path) -> None:
    assert_block_conforms(block_cls, EXAMPLES[block_cls])


def test_every_block_of_the_package_has_an_example_and_an_entry_point() -> None:
    assert set(ENTRY_POINTS.values()) == set(EXAMPLES)
    types = registered_block_types()
    for slug, cls in ENTRY_POINTS.items():
        assert cls.get_block_type_slug() == slug
        assert get_block_class(slug) is cls
        info = types[slug]
        assert (info.cls, info.package, info.error) == (cls, "headwater-blocks", None)


def test_chat_webhook_base_is_not_a_block_type() -> None:
    assert not any(slug.endswith("chat-webhook") for slug in registered_block_types())
