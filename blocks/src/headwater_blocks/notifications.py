"""Chat notifications through incoming webhooks: Slack, Microsoft Teams and Discord.

Each block holds its webhook URL as a secret (the URL is the credential) and
sends one JSON message per :meth:`notify` call. Every request goes through the
SSRF guard of :mod:`headwater_blocks.webhooks`: hosts on private, loopback or
link-local addresses are refused unless the block sets ``allow_private_urls``.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from pydantic import Field, SecretStr

from headwater.blocks import NotificationBlock
from headwater_blocks.webhooks import send_request

__all__ = ["DiscordWebhook", "MicrosoftTeamsWebhook", "SlackWebhook"]


class _ChatWebhook(NotificationBlock):
    """What the chat webhooks share: a secret URL, a timeout and the private-address switch."""

    url: SecretStr = Field(description="Incoming webhook URL (a secret: it carries the token).")
    timeout: float = Field(default=10.0, gt=0, description="Request timeout in seconds.")
    allow_private_urls: bool = Field(
        default=False,
        description="Allow hosts on private, loopback or link-local addresses.",
    )

    @abstractmethod
    def _payload(self, body: str, subject: str | None) -> dict[str, Any]:
        """The JSON document the service expects for one message."""

    def notify(self, body: str, subject: str | None = None) -> None:
        """Post ``body`` (with ``subject`` as a bold heading when given) to the webhook."""
        send_request(
            self,
            method="POST",
            url=self.url.get_secret_value(),
            secret_field="url",
            allow_private=self.allow_private_urls,
            timeout=self.timeout,
            json=self._payload(body, subject),
        )


class SlackWebhook(_ChatWebhook):
    """Post messages to a Slack channel through an incoming webhook.

    Example:
        ```python
        from headwater_blocks import SlackWebhook

        slack = SlackWebhook.load("BLOCK_NAME")
        slack.notify("The nightly load finished.", subject="etl")
        ```
    """

    def _payload(self, body: str, subject: str | None) -> dict[str, Any]:
        return {"text": f"*{subject}*\n{body}" if subject else body}


class MicrosoftTeamsWebhook(_ChatWebhook):
    """Post messages to a Microsoft Teams channel through an incoming webhook.

    Example:
        ```python
        from headwater_blocks import MicrosoftTeamsWebhook

        teams = MicrosoftTeamsWebhook.load("BLOCK_NAME")
        teams.notify("Backfill done.", subject="etl")
        ```
    """

    def _payload(self, body: str, subject: str | None) -> dict[str, Any]:
        card: dict[str, Any] = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": subject or body[:80],
            "text": body,
        }
        if subject:
            card["title"] = subject
        return card


class DiscordWebhook(_ChatWebhook):
    """Post messages to a Discord channel through a webhook.

    Example:
        ```python
        from headwater_blocks import DiscordWebhook

        discord = DiscordWebhook.load("BLOCK_NAME")
        discord.notify("Model retrained.", subject="ml")
        ```
    """

    username: str | None = Field(default=None, description="Name shown as the message's author.")

    def _payload(self, body: str, subject: str | None) -> dict[str, Any]:
        payload: dict[str, Any] = {"content": f"**{subject}**\n{body}" if subject else body}
        if self.username:
            payload["username"] = self.username
        return payload
