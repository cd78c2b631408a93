"""Errors about a URL that came from a secret name the field, never a part of the value.

A chat webhook's ``url`` is a secret, and a ``CustomWebhook`` URL built from
``{{placeholders}}`` may hold one. When such a "URL" is not a URL at all (a
password saved in the wrong field), every way the guard can refuse it must
keep the value out of the message: the scheme check, the parser, the name
lookup, the private-address check, a failed connection and an HTTP error.
"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pydantic import ValidationError

from headwater.blocks import Block
from headwater_blocks import (
    CustomWebhook,
    DiscordWebhook,
    MicrosoftTeamsWebhook,
    NotificationError,
    SlackWebhook,
    SqlAlchemyConnector,
    UnsafeUrlError,
    check_url,
)

from .conftest import HttpServer

MARK = "hunter2"
"""Every secret below contains it; no error may."""

NOT_URLS = [
    f"{MARK}-password://x",  # the reported leak: "not hunter2-password://"
    f"{MARK}-password",
    f"{MARK}+pass:word",  # a valid-looking scheme "hunter2+pass"
    f"http://host:{MARK}/x",  # a bad port: the parser quotes it
    f"http://[{MARK}/x",  # a bad IPv6 literal: the parser complains
    f"http:///{MARK}",  # no host
    f"ftp://{MARK}.example.com/x",
]


def _blocks(url: str) -> list[Block]:
    return [
        SlackWebhook(url=url),
        DiscordWebhook(url=url),
        MicrosoftTeamsWebhook(url=url, allow_private_urls=True),
        CustomWebhook(url="{{hook}}", secrets={"hook": url}),
        CustomWebhook(url="https://{{hook}}/x", secrets={"hook": url}),
    ]


@pytest.mark.parametrize("secret", NOT_URLS)
def test_a_secret_that_is_not_a_url_is_never_echoed(secret: str) -> None:
    for block in _blocks(secret):
        with pytest.raises((UnsafeUrlError, NotificationError)) as info:
            block.notify("hello")
        message = str(info.value)
        assert MARK not in message, (type(block).__name__, message)
        assert "field 'url'" in message


@pytest.mark.parametrize("secret", NOT_URLS)
def test_check_url_with_a_secret_field_shows_no_part_of_the_value(secret: str) -> None:
    for allow_private in (False, True):
        with pytest.raises(UnsafeUrlError) as info:
            check_url(secret, block="b", allow_private=allow_private, secret_field="token")
        assert MARK not in str(info.value)
        assert "field 'token'" in str(info.value)


def test_a_plain_url_field_still_names_the_scheme_and_host() -> None:
    with pytest.raises(UnsafeUrlError, match="not ftp://"):
        check_url("ftp://example.com/x", block="b")
    with pytest.raises(UnsafeUrlError, match=r"host '127\.0\.0\.1'"):
        check_url("http://127.0.0.1/x", block="b")


def test_an_unresolvable_secret_host_is_not_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import headwater_blocks._address_guard as guard

    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        # what getaddrinfo says for a name it cannot encode, with the name in it
        raise UnicodeError(f"encoding with 'idna' codec failed: label {host!r} too long")

    monkeypatch.setattr(guard, "_getaddrinfo", resolver)
    with pytest.raises(UnsafeUrlError, match="cannot resolve the host of field 'url'") as info:
        SlackWebhook(url=f"https://{MARK}-password.example/x").notify("x")
    assert MARK not in str(info.value)


def test_private_and_failed_and_refused_secret_urls_do_not_name_the_host(
    http_server: HttpServer,
) -> None:
    port = http_server.url.rsplit(":", 1)[1]
    url = f"http://127.0.0.1:{port}/{MARK}"
    with pytest.raises(UnsafeUrlError) as refused:
        SlackWebhook(url=url).notify("x")
    http_server.status = 500
    with pytest.raises(NotificationError, match="HTTP 500") as failed:
        SlackWebhook(url=url, allow_private_urls=True).notify("x")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    with pytest.raises(NotificationError, match="failed") as unreachable:
        SlackWebhook(url=f"http://127.0.0.1:{free}/{MARK}", allow_private_urls=True).notify("x")
    for info in (refused, failed, unreachable):
        message = str(info.value)
        assert MARK not in message, message
        assert "127.0.0.1" not in message, message
        assert "field 'url'" in message


def test_sql_url_errors_do_not_quote_the_url() -> None:
    """``url`` refuses a password; a URL it cannot parse is not quoted either."""
    for url in (f"postgresql://user@host:{MARK}/db", f"{MARK}-not-a-url"):
        with pytest.raises(ValidationError) as info:
            SqlAlchemyConnector(url=url)
        assert MARK not in str(info.value)
        assert "not a SQLAlchemy URL" in str(info.value)
