"""The SSRF guard: outgoing webhooks refuse non-public hosts unless the block allows them."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from headwater_blocks import CustomWebhook, DiscordWebhook, SlackWebhook, UnsafeUrlError, check_url
from headwater_blocks._address_guard import is_private_address

from .conftest import HttpServer


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.8.9.10:8080/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.1/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "http://224.0.0.1/hook",
        "http://localhost/hook",
    ],
)
def test_guard_refuses_non_public_hosts(url: str) -> None:
    with pytest.raises(UnsafeUrlError, match="allow_private_urls=True") as info:
        check_url(url, block="slack-webhook/alerts")
    message = str(info.value)
    assert "slack-webhook/alerts" in message
    assert "host" in message


def test_guard_checks_every_resolved_address() -> None:
    """A name with one public and one private address is refused (no first-address shortcut)."""

    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        assert host == "mixed.example"
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    with pytest.raises(UnsafeUrlError, match=r"'mixed\.example'.*10\.0\.0\.7"):
        check_url("https://mixed.example/hook", block="b", resolver=resolver)


def test_guard_accepts_public_addresses_without_traffic() -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("2606:2800:220:1::1", port, 0, 0))]

    check_url("https://hooks.example.com/services/T/B/x", block="b", resolver=resolver)
    check_url("http://93.184.216.34/hook", block="b")


def test_guard_allows_private_hosts_when_asked() -> None:
    check_url("http://127.0.0.1:9/hook", block="b", allow_private=True)
    check_url("http://[::1]/hook", block="b", allow_private=True)


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://example.com/x", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("example.com/hook", "http:// or https://"),
        ("http:///nohost", "no host"),
        ("http://example.com:99999/x", "not valid"),
    ],
)
def test_guard_refuses_bad_urls_even_when_private_is_allowed(url: str, match: str) -> None:
    with pytest.raises(UnsafeUrlError, match=match):
        check_url(url, block="b", allow_private=True)


def test_guard_error_for_unresolvable_host_names_it() -> None:
    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(UnsafeUrlError, match=r"cannot resolve host 'nowhere\.invalid'"):
        check_url("https://nowhere.invalid/x", block="b", resolver=resolver)


def test_is_private_address_on_embedded_ipv4() -> None:
    import ipaddress

    assert is_private_address(ipaddress.ip_address("2002:7f00:1::1"))  # 6to4 of 127.0.0.1
    assert not is_private_address(ipaddress.ip_address("8.8.8.8"))


def test_blocks_refuse_loopback_without_the_flag_and_send_nothing(http_server: HttpServer) -> None:
    blocks = [
        SlackWebhook(url=f"{http_server.url}/slack"),
        DiscordWebhook(url=f"{http_server.url}/discord"),
        CustomWebhook(url=f"{http_server.url}/custom", json_data={"t": "{{body}}"}),
    ]
    for block in blocks:
        with pytest.raises(UnsafeUrlError, match="allow_private_urls=True") as info:
            block.notify("hello")
        message = str(info.value)
        assert type(block).get_block_type_slug() in message
        assert "/slack" not in message  # the URL (which may hold a token) is never shown
        if isinstance(block, CustomWebhook):  # a plain URL field: its host is named
            assert "host '127.0.0.1'" in message
        else:  # a secret URL field: the field is named, no part of the value shown
            assert "the host of field 'url'" in message
            assert "127.0.0.1" not in message
    assert http_server.requests == []


def test_dns_rebinding_is_refused_at_connect_time(
    http_server: HttpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is public when checked, then resolves to 127.0.0.1: the connection is refused."""
    import headwater_blocks._address_guard as guard

    answers = iter(["93.184.216.34", "127.0.0.1", "127.0.0.1"])
    calls: list[str] = []

    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(guard, "_getaddrinfo", resolver)
    port = http_server.url.rsplit(":", 1)[1]
    # the secret URL's host is not named, the address it resolved to is
    with pytest.raises(UnsafeUrlError, match=r"field 'url'.*resolves to 127\.0\.0\.1") as info:
        SlackWebhook(url=f"http://rebind.test:{port}/x").notify("hello")
    assert "rebind" not in str(info.value)
    assert calls == ["rebind.test", "rebind.test"]  # checked before sending and at connect
    assert http_server.requests == []


def test_connections_go_to_the_resolved_addresses(http_server: HttpServer) -> None:
    """A host name is resolved by the guard and each address tried (localhost may be ::1 first)."""
    port = http_server.url.rsplit(":", 1)[1]
    SlackWebhook(url=f"http://localhost:{port}/named", allow_private_urls=True).notify("hi")
    (req,) = http_server.requests
    assert req.path == "/named"
    assert req.headers["host"] == f"localhost:{port}"  # the Host header keeps the name
