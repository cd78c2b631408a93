"""Slack, Teams, Discord and custom webhooks against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from headwater import flow
from headwater.blocks import Block
from headwater_blocks import (
    CustomWebhook,
    DiscordWebhook,
    MicrosoftTeamsWebhook,
    NotificationError,
    SlackWebhook,
)

from .conftest import HttpServer


def test_slack_posts_text_with_subject(http_server: HttpServer) -> None:
    SlackWebhook(url=f"{http_server.url}/services/T0/B0/tok3n", allow_private_urls=True).notify(
        "the load finished", subject="etl"
    )
    (req,) = http_server.requests
    assert (req.method, req.path) == ("POST", "/services/T0/B0/tok3n")
    assert req.headers["content-type"] == "application/json"
    assert json.loads(req.body) == {"text": "*etl*\nthe load finished"}


def test_teams_posts_a_message_card(http_server: HttpServer) -> None:
    MicrosoftTeamsWebhook(url=f"{http_server.url}/teams", allow_private_urls=True).notify(
        "backfill done", subject="etl"
    )
    card = json.loads(http_server.requests[0].body)
    assert card["@type"] == "MessageCard"
    assert (card["title"], card["text"], card["summary"]) == ("etl", "backfill done", "etl")


def test_discord_posts_content_and_username(http_server: HttpServer) -> None:
    DiscordWebhook(url=f"{http_server.url}/d", username="bot", allow_private_urls=True).notify("hi")
    assert json.loads(http_server.requests[0].body) == {"content": "hi", "username": "bot"}


def test_webhook_url_is_a_secret_and_round_trips_through_the_store(http_server: HttpServer) -> None:
    url = f"{http_server.url}/services/T0/B0/very-secret-token"
    SlackWebhook(url=url, allow_private_urls=True).save("alerts")
    loaded = Block.load("slack-webhook/alerts")
    assert isinstance(loaded, SlackWebhook)
    assert "very-secret-token" not in repr(loaded)
    assert "very-secret-token" not in json.dumps(loaded.model_dump(mode="json"))
    loaded.notify("from the store")
    assert http_server.requests[0].path.endswith("very-secret-token")


def test_webhook_url_may_be_an_env_reference(
    http_server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HW_TEST_SLACK_URL", f"{http_server.url}/from-env")
    SlackWebhook(url="env://HW_TEST_SLACK_URL", allow_private_urls=True).save("env-hook")
    SlackWebhook.load("env-hook").notify("x")
    assert http_server.requests[0].path == "/from-env"


def test_server_error_raises_naming_block_and_status_not_url(http_server: HttpServer) -> None:
    http_server.status = 500
    http_server.reply = b"upstream broke"
    hook = SlackWebhook(url=f"{http_server.url}/services/secret-path", allow_private_urls=True)
    with pytest.raises(NotificationError, match="HTTP 500") as info:
        hook.notify("x")
    message = str(info.value)
    assert "slack-webhook" in message
    assert "the host of field 'url'" in message  # the URL is a secret: not even its host
    assert "127.0.0.1" not in message
    assert "secret-path" not in message
    assert "upstream broke" in message


def test_redirects_are_not_followed(http_server: HttpServer) -> None:
    http_server.status = 302
    with pytest.raises(NotificationError, match="HTTP 302"):
        SlackWebhook(url=f"{http_server.url}/r", allow_private_urls=True).notify("x")
    assert len(http_server.requests) == 1


def test_connection_refused_is_a_notification_error() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(NotificationError, match=r"discord-webhook.*failed"):
        DiscordWebhook(url=f"http://127.0.0.1:{port}/x", allow_private_urls=True).notify("x")


def test_notify_inside_a_flow(http_server: HttpServer) -> None:
    SlackWebhook(url=f"{http_server.url}/flow", allow_private_urls=True).save("flow-hook")

    @flow
    def report() -> None:
        SlackWebhook.load("flow-hook").notify("sent from a flow")

    report()
    assert json.loads(http_server.requests[0].body) == {"text": "sent from a flow"}


# -- CustomWebhook ----------------------------------------------------------------------


def test_custom_webhook_renders_templates_and_secrets(http_server: HttpServer) -> None:
    hook = CustomWebhook(
        url=f"{http_server.url}/api/{{{{team}}}}/alerts",
        method="PUT",
        params={"source": "headwater", "s": "{{subject}}"},
        headers={"Authorization": "Bearer {{token}}", "X-Static": "1"},
        json_data={"title": "{{subject}}", "text": "{{body}}", "tags": ["{{team}}", 3]},
        secrets={"token": "tok-abcdef", "team": "data"},
        allow_private_urls=True,
    )
    hook.save("custom")
    CustomWebhook.load("custom").notify("disk full", subject="db-1")
    (req,) = http_server.requests
    assert req.method == "PUT"
    path, _, query = req.path.partition("?")
    assert path == "/api/data/alerts"
    assert sorted(query.split("&")) == ["s=db-1", "source=headwater"]
    assert req.headers["authorization"] == "Bearer tok-abcdef"
    assert req.headers["x-static"] == "1"
    assert json.loads(req.body) == {"title": "db-1", "text": "disk full", "tags": ["data", 3]}
    assert "tok-abcdef" not in repr(hook)
    assert "tok-abcdef" not in json.dumps(hook.model_dump(mode="json"))


def test_custom_webhook_form_body(http_server: HttpServer) -> None:
    CustomWebhook(
        url=f"{http_server.url}/form",
        form_data={"msg": "{{body}}", "who": "{{subject}}"},
        allow_private_urls=True,
    ).notify("a b", subject="me")
    req = http_server.requests[0]
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert req.body == b"msg=a+b&who=me"


def test_custom_webhook_secrets_may_be_references(
    http_server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HW_TEST_HOOK_TOKEN", "tok-from-env")
    CustomWebhook(
        url=f"{http_server.url}/x",
        headers={"Authorization": "Bearer {{token}}"},
        secrets={"token": "env://HW_TEST_HOOK_TOKEN"},
        allow_private_urls=True,
    ).save("ref")
    CustomWebhook.load("ref").notify("x")
    assert http_server.requests[0].headers["authorization"] == "Bearer tok-from-env"


def test_custom_webhook_unknown_placeholder_names_it_and_sends_nothing(
    http_server: HttpServer,
) -> None:
    hook = CustomWebhook(
        url=f"{http_server.url}/x",
        json_data={"text": "{{body}} {{missing}}"},
        secrets={"token": "tok-abcdef"},
        allow_private_urls=True,
    )
    with pytest.raises(ValueError, match=r"json_data.*\{\{missing\}\}") as info:
        hook.notify("x")
    assert "tok-abcdef" not in str(info.value)
    assert http_server.requests == []


def test_custom_webhook_rejects_json_and_form_together() -> None:
    with pytest.raises(ValidationError, match="json_data or form_data"):
        CustomWebhook(url="https://example.com", json_data={"a": 1}, form_data={"b": "2"})


def test_custom_webhook_rejects_unknown_method() -> None:
    with pytest.raises(ValidationError, match="method"):
        CustomWebhook(url="https://example.com", method="TRACE")  # type: ignore[arg-type]
