"""SmtpEmail and email_send_message against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import email
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import ValidationError

from headwater import flow
from headwater_blocks import NotificationError, SmtpEmail, UnsafeUrlError, email_send_message

from .conftest import free_port

USER, PASSWORD = "robot@example.com", "smtp-pass-4242"


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content),
            )
        )
        return "250 OK"


def _authenticator(box: Mailbox) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == (
            USER,
            PASSWORD,
        )
        if ok:
            box.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with cryptography, a core dependency)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, tls_files))
    return context


class _ImplicitTlsController(Controller):
    """aiosmtpd does not see that an ssl_context server is already on TLS, so it would
    hide AUTH; tell each session that AUTH is fine (the transport is TLS from the start)."""

    def factory(self) -> Any:
        server = super().factory()
        server._auth_require_tls = False
        return server


def _run(controller: Controller) -> Iterator[None]:
    controller.start()
    try:
        yield
    finally:
        controller.stop()


@pytest.fixture
def plain_smtp() -> Iterator[Mailbox]:
    """An SMTP server without TLS or login."""
    box = Mailbox(port=free_port())
    yield from (box for _ in _run(Controller(_Handler(box), hostname="127.0.0.1", port=box.port)))


@pytest.fixture
def starttls_smtp(tls_files: tuple[Path, Path]) -> Iterator[Mailbox]:
    """An SMTP server that requires STARTTLS and a login."""
    box = Mailbox(port=free_port())
    controller = Controller(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        tls_context=_server_context(tls_files),
        require_starttls=True,
        auth_required=True,
        authenticator=_authenticator(box),
    )
    yield from (box for _ in _run(controller))


@pytest.fixture
def ssl_smtp(tls_files: tuple[Path, Path]) -> Iterator[Mailbox]:
    """An SMTP server with TLS from the first byte and a login."""
    box = Mailbox(port=free_port())
    controller = _ImplicitTlsController(
        _Handler(box),
        hostname="127.0.0.1",
        port=box.port,
        ssl_context=_server_context(tls_files),
        auth_required=True,
        authenticator=_authenticator(box),
    )
    yield from (box for _ in _run(controller))


def test_insecure_send_with_cc_bcc_and_attachment(plain_smtp: Mailbox, tmp_path: Path) -> None:
    report = tmp_path / "report.csv"
    report.write_text("a,b\n1,2\n")
    mail = SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=plain_smtp.port,
        smtp_type="INSECURE",
        from_address="etl@example.com",
    )
    mail.send_message(
        "Nightly report",
        "<p>All <b>good</b></p>",
        email_to=["a@example.com", "b@example.com"],
        email_to_cc="c@example.com",
        email_to_bcc="d@example.com",
        attachments=[report],
        msg_plain="All good",
    )
    ((sender, rcpts, message),) = plain_smtp.messages
    assert sender == "etl@example.com"
    assert sorted(rcpts) == ["a@example.com", "b@example.com", "c@example.com", "d@example.com"]
    assert message["Subject"] == "Nightly report"
    assert message["To"] == "a@example.com, b@example.com"
    assert message["Bcc"] is None  # never shown to recipients
    parts = {p.get_content_type(): p for p in message.walk()}
    assert "All <b>good</b>" in parts["text/html"].get_payload(decode=True).decode()
    assert parts["text/plain"].get_payload(decode=True).decode().strip() == "All good"
    assert parts["text/csv"].get_filename() == "report.csv"


def test_starttls_login_and_notify(starttls_smtp: Mailbox) -> None:
    SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=starttls_smtp.port,
        smtp_type="STARTTLS",
        username=USER,
        password=PASSWORD,
        verify=False,
        to_addresses=["team@example.com"],
    ).save("mail")
    loaded = SmtpEmail.load("mail")
    assert PASSWORD not in repr(loaded)
    loaded.notify("the load finished", subject="etl")
    assert starttls_smtp.logins == [USER]
    ((sender, rcpts, message),) = starttls_smtp.messages
    assert (sender, rcpts, message["Subject"]) == (USER, ["team@example.com"], "etl")
    assert message.get_payload(decode=True).decode().strip() == "the load finished"


def test_ssl_and_the_task_in_a_flow(ssl_smtp: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HW_TEST_SMTP_PASSWORD", PASSWORD)
    SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=ssl_smtp.port,
        smtp_type="SSL",
        username=USER,
        password="env://HW_TEST_SMTP_PASSWORD",
        verify=False,
    ).save("ssl-mail")

    @flow
    def notify_team() -> None:
        email_send_message(
            subject="hello",
            msg="<h1>hi</h1>",
            email_server_credentials=SmtpEmail.load("ssl-mail"),
            email_to="x@example.com",
        )

    notify_team()
    assert ssl_smtp.logins == [USER]
    assert [m[2]["Subject"] for m in ssl_smtp.messages] == ["hello"]


def test_certificate_is_verified_by_default(ssl_smtp: Mailbox) -> None:
    mail = SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=ssl_smtp.port,
        username=USER,
        password=PASSWORD,
    )
    result = mail.check()
    assert not result.ok
    assert "certificate" in result.message.lower()
    assert ssl_smtp.messages == []


def test_wrong_password_fails_without_showing_it(starttls_smtp: Mailbox) -> None:
    mail = SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=starttls_smtp.port,
        smtp_type="STARTTLS",
        username=USER,
        password="wrong-pass-0000",
        verify=False,
    )
    with pytest.raises(NotificationError, match="SMTPAuthenticationError") as info:
        mail.send_message("s", "m", email_to="x@example.com")
    assert "wrong-pass-0000" not in str(info.value)
    result = mail.check()
    assert not result.ok
    assert "smtp-email" in result.message
    assert "wrong-pass-0000" not in result.message


def test_check_reports_success(starttls_smtp: Mailbox) -> None:
    result = SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=starttls_smtp.port,
        smtp_type="STARTTLS",
        username=USER,
        password=PASSWORD,
        verify=False,
    ).check()
    assert result.ok, result.message
    assert result.message.endswith(f"(STARTTLS) as {USER}")


def test_unreachable_server_names_it() -> None:
    mail = SmtpEmail(
        smtp_server="127.0.0.1",
        allow_private_urls=True,
        smtp_port=free_port(),
        smtp_type="INSECURE",
        from_address="a@example.com",
        timeout=5,
    )
    with pytest.raises(NotificationError, match=r"127\.0\.0\.1:\d+ \(INSECURE\)"):
        mail.send_message("s", "m", email_to="x@example.com")


def test_default_ports_follow_the_smtp_type() -> None:
    assert SmtpEmail(smtp_server="h").port == 465
    assert SmtpEmail(smtp_server="h", smtp_type="STARTTLS").port == 587
    assert SmtpEmail(smtp_server="h", smtp_type="INSECURE").port == 25
    assert SmtpEmail(smtp_server="h", smtp_port=2525).port == 2525


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="smtp_type"):
        SmtpEmail(smtp_server="h", smtp_type="TLS")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="smtp_port"):
        SmtpEmail(smtp_server="h", smtp_port=70000)
    with pytest.raises(ValidationError, match="to_addresses"):
        SmtpEmail(smtp_server="h", to_addresses=["not-an-address"])
    mail = SmtpEmail(smtp_server="h", from_address="a@example.com")
    with pytest.raises(ValueError, match="to_addresses"):
        mail.notify("x")
    with pytest.raises(ValueError, match="recipient"):
        mail.build_message("s", "m", email_to=[])
    with pytest.raises(ValueError, match=r"linefeed|newline|carriage"):
        mail.build_message("s\r\nBcc: evil@example.com", "m", email_to="x@example.com")


# -- the private-network guard (the same one the webhooks use) ---------------------------


def _loopback_mail(port: int, **fields: Any) -> SmtpEmail:
    return SmtpEmail(
        smtp_port=port,
        smtp_type="INSECURE",
        from_address="a@example.com",
        to_addresses=["ops@example.com"],
        timeout=5,
        **{"smtp_server": "127.0.0.1", **fields},
    )


def test_loopback_server_is_refused_without_the_opt_in(plain_smtp: Mailbox) -> None:
    """The real server on 127.0.0.1 gets no connection; the error names the host and the field."""
    mail = _loopback_mail(plain_smtp.port)
    with pytest.raises(UnsafeUrlError, match=r"'127\.0\.0\.1'.*allow_private_urls=True"):
        mail.notify("hello")
    with pytest.raises(UnsafeUrlError):
        mail.get_client()
    result = mail.check()
    assert not result.ok
    assert "allow_private_urls=True" in result.message
    assert plain_smtp.messages == []

    _loopback_mail(plain_smtp.port, allow_private_urls=True).notify("hello")
    assert len(plain_smtp.messages) == 1


def test_ssl_server_on_loopback_is_refused_before_any_tls(ssl_smtp: Mailbox) -> None:
    mail = SmtpEmail(
        smtp_server="127.0.0.1", smtp_port=ssl_smtp.port, username=USER, password=PASSWORD
    )
    with pytest.raises(UnsafeUrlError, match=r"smtp-email block refuses to connect to"):
        mail.get_client()
    assert ssl_smtp.logins == []


@pytest.mark.parametrize(
    "host",
    [
        "localhost",  # a name that resolves to loopback (127.0.0.1 and/or ::1)
        "::1",  # IPv6 loopback
        "::ffff:127.0.0.1",  # IPv4-mapped IPv6
        "::ffff:7f00:1",  # the same, in hex
        "2130706433",  # 127.0.0.1 as one decimal number
        "0x7f000001",  # ... in hex
        "0177.0.0.1",  # ... in octal
        "127.1",  # ... abbreviated
        "0.0.0.0",  # unspecified: reaches the local host
        "169.254.169.254",  # cloud metadata (link-local)
        "10.0.0.5",
        "192.168.1.1",
        "172.16.0.1",
        "100.64.0.1",  # carrier-grade NAT
        "fe80::1",  # IPv6 link-local
        "fd00::1",  # IPv6 unique local
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    ],
)
def test_the_class_of_private_destinations_is_refused(plain_smtp: Mailbox, host: str) -> None:
    """Every spelling of a private address is refused before a connection is made."""
    with pytest.raises(UnsafeUrlError, match="allow_private_urls=True") as info:
        _loopback_mail(plain_smtp.port, smtp_server=host).notify("hello")
    assert repr(host) in str(info.value)
    assert plain_smtp.messages == []


def test_a_name_rebound_to_loopback_is_refused(
    plain_smtp: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name whose DNS answer is a private address is refused (the answer is stood in)."""
    import socket

    import headwater_blocks._address_guard as guard

    def resolver(host: str, port: int, *args: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ]

    monkeypatch.setattr(guard, "_getaddrinfo", resolver)
    with pytest.raises(UnsafeUrlError, match=r"'mail\.rebind\.test': it resolves to 127\.0\.0\.1"):
        _loopback_mail(plain_smtp.port, smtp_server="mail.rebind.test").notify("hello")
    assert plain_smtp.messages == []


def test_a_name_is_connected_by_its_checked_address(plain_smtp: Mailbox) -> None:
    """With the opt-in, a name (localhost) reaches the server through the guard's resolution."""
    _loopback_mail(plain_smtp.port, smtp_server="localhost", allow_private_urls=True).notify("hi")
    assert len(plain_smtp.messages) == 1
