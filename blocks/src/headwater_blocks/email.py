"""``SmtpEmail``: SMTP server credentials that send e-mail, and the ``email_send_message`` task.

``smtp_type`` chooses how the connection is protected: ``SSL`` (TLS from the
first byte, port 465 by default), ``STARTTLS`` (plain connection upgraded to
TLS, port 587) or ``INSECURE`` (no TLS, port 25; only for servers on a network
you trust). The password is a secret and may be a reference such as
``env://SMTP_PASSWORD``.

Like the webhooks, the block refuses an SMTP server whose name or address is
private, loopback or link-local (see :mod:`headwater_blocks._address_guard`)
unless ``allow_private_urls=True`` is set, for an internal relay. The name is
resolved and checked, and the connection goes to the very address checked (TLS
still verifies the certificate against the name).
"""

from __future__ import annotations

import mimetypes
import smtplib
import socket
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from headwater import task
from headwater.blocks import CheckResult, NotificationBlock
from headwater_blocks._address_guard import UnsafeUrlError, refuse_private, resolve_host
from headwater_blocks.webhooks import NotificationError, block_label

__all__ = ["SmtpEmail", "email_send_message"]

_DEFAULT_PORTS = {"SSL": 465, "STARTTLS": 587, "INSECURE": 25}


def _addresses(value: str | Sequence[str] | None, field: str) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out = []
    for item in items:
        for part in str(item).split(","):
            address = part.strip()
            if not address:
                continue
            if "@" not in address or any(c in address for c in "\r\n"):
                raise ValueError(f"{field}: {address!r} is not an e-mail address")
            out.append(address)
    return out


class _GuardedSMTP(smtplib.SMTP):
    """An SMTP client whose sockets go only to checked addresses of the server's name.

    ``_get_socket`` is where smtplib opens the TCP connection (``SMTP_SSL`` wraps
    what it returns in TLS for the name, as ``starttls`` does later).
    """

    def __init__(self, host: str, port: int, *, block: str, allow_private: bool, **kwargs: Any):
        self._guard_block = block
        self._guard_allow_private = allow_private
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        addresses = resolve_host(host, port, self._guard_block)
        if not self._guard_allow_private:
            refuse_private(host, addresses, self._guard_block, action="connect to")
        error: OSError | None = None
        for ip in addresses:
            try:
                return socket.create_connection((str(ip), port), timeout, self.source_address)
            except OSError as exc:
                error = exc
        assert error is not None
        raise error


class _GuardedSMTPSSL(smtplib.SMTP_SSL, _GuardedSMTP):
    """``SMTP_SSL`` over :class:`_GuardedSMTP`'s checked socket."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        block: str,
        allow_private: bool,
        context: ssl.SSLContext,
        timeout: float,
    ):
        self._guard_block = block
        self._guard_allow_private = allow_private
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)


class SmtpEmail(NotificationBlock):
    """Send e-mail through an SMTP server (SSL, STARTTLS or plain).

    ``notify`` sends to ``to_addresses``; the ``email_send_message`` task and
    :meth:`send_message` take recipients, CC, BCC and attachments per call.

    Example:
        ```python
        from headwater_blocks import SmtpEmail, email_send_message

        mail = SmtpEmail.load("BLOCK_NAME")
        mail.notify("The nightly load finished.", subject="etl")
        email_send_message("Report", "<b>done</b>", mail, email_to="team@example.com")
        ```
    """

    smtp_server: str = Field(min_length=1, description="Host name of the SMTP server.")
    smtp_port: int | None = Field(
        default=None, ge=1, le=65535, description="Port (default: 465 SSL, 587 STARTTLS, 25)."
    )
    smtp_type: Literal["SSL", "STARTTLS", "INSECURE"] = Field(
        default="SSL", description="Connection security: SSL, STARTTLS or INSECURE."
    )
    username: str | None = Field(default=None, description="Login name (none: no login).")
    password: SecretStr | None = Field(default=None, description="Login password (secret).")
    from_address: str | None = Field(
        default=None, description="Sender address (default: the username)."
    )
    to_addresses: list[str] = Field(default_factory=list, description="Recipients of notify().")
    verify: bool = Field(default=True, description="Verify the server's TLS certificate.")
    timeout: float = Field(default=30.0, gt=0, description="Connection timeout in seconds.")
    allow_private_urls: bool = Field(
        default=False,
        description="Allow an SMTP server on a private, loopback or link-local address "
        "(an internal relay).",
    )

    @field_validator("to_addresses")
    @classmethod
    def _check_recipients(cls, value: list[str]) -> list[str]:
        return _addresses(value, "to_addresses")

    @field_validator("from_address")
    @classmethod
    def _check_sender(cls, value: str | None) -> str | None:
        return None if value is None else _addresses(value, "from_address")[0]

    @property
    def port(self) -> int:
        """The port connected to: ``smtp_port`` or the default of ``smtp_type``."""
        return self.smtp_port or _DEFAULT_PORTS[self.smtp_type]

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def get_client(self) -> smtplib.SMTP:
        """A connected SMTP client, with TLS as ``smtp_type`` says and logged in when a username is set.

        The caller closes it (``with block.get_client() as smtp: ...``). Raises
        :class:`UnsafeUrlError` before connecting when the server is on a private
        address and ``allow_private_urls`` is not set.
        """
        label = block_label(self)
        allow_private = self.allow_private_urls
        try:
            server: smtplib.SMTP
            if self.smtp_type == "SSL":
                server = _GuardedSMTPSSL(
                    self.smtp_server,
                    self.port,
                    timeout=self.timeout,
                    context=self._tls_context(),
                    block=label,
                    allow_private=allow_private,
                )
            else:
                server = _GuardedSMTP(
                    self.smtp_server,
                    self.port,
                    timeout=self.timeout,
                    block=label,
                    allow_private=allow_private,
                )
            try:
                if self.smtp_type == "STARTTLS":
                    server.starttls(context=self._tls_context())
                if self.username:
                    password = self.password.get_secret_value() if self.password else ""
                    server.login(self.username, password)
            except BaseException:
                server.close()
                raise
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationError(
                f"{label}: cannot connect to SMTP server {self.smtp_server}:{self.port} "
                f"({self.smtp_type}): {type(exc).__name__}: {exc}"
            ) from None
        return server

    def check(self) -> CheckResult:
        """Connect and log in (what ``headwater block check`` runs); the reason when that fails."""
        try:
            with self.get_client() as server:
                server.noop()
        except (NotificationError, UnsafeUrlError) as exc:
            return CheckResult(False, str(exc))
        login = f" as {self.username}" if self.username else ""
        return CheckResult(
            True, f"connected to {self.smtp_server}:{self.port} ({self.smtp_type}){login}"
        )

    def build_message(
        self,
        subject: str,
        msg: str,
        *,
        email_to: str | Sequence[str],
        email_to_cc: str | Sequence[str] | None = None,
        email_to_bcc: str | Sequence[str] | None = None,
        attachments: Sequence[str | Path] | None = None,
        html: bool = True,
        msg_plain: str | None = None,
    ) -> EmailMessage:
        """The message :meth:`send_message` would send (``msg`` is HTML unless ``html=False``)."""
        sender = self.from_address or self.username
        if not sender:
            raise ValueError(f"{block_label(self)}: set from_address (or username) to send e-mail")
        to = _addresses(email_to, "email_to")
        cc = _addresses(email_to_cc, "email_to_cc")
        bcc = _addresses(email_to_bcc, "email_to_bcc")
        if not (to or cc or bcc):
            raise ValueError(f"{block_label(self)}: no recipient (email_to is empty)")
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = sender
        if to:
            message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        if bcc:
            message["Bcc"] = ", ".join(bcc)
        if html:
            message.set_content(msg_plain if msg_plain is not None else msg)
            message.add_alternative(msg, subtype="html")
        else:
            message.set_content(msg)
        for attachment in attachments or ():
            path = Path(attachment)
            if not path.is_file():
                raise FileNotFoundError(f"attachment {str(path)!r} is not a file")
            kind, _ = mimetypes.guess_type(path.name)
            maintype, subtype = (kind or "application/octet-stream").split("/", 1)
            message.add_attachment(
                path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
            )
        return message

    def send_message(
        self,
        subject: str,
        msg: str,
        *,
        email_to: str | Sequence[str],
        email_to_cc: str | Sequence[str] | None = None,
        email_to_bcc: str | Sequence[str] | None = None,
        attachments: Sequence[str | Path] | None = None,
        html: bool = True,
        msg_plain: str | None = None,
    ) -> EmailMessage:
        """Build and send one message; returns it. Raises :class:`NotificationError` on SMTP failure."""
        message = self.build_message(
            subject,
            msg,
            email_to=email_to,
            email_to_cc=email_to_cc,
            email_to_bcc=email_to_bcc,
            attachments=attachments,
            html=html,
            msg_plain=msg_plain,
        )
        with self.get_client() as server:
            try:
                server.send_message(message)
            except (smtplib.SMTPException, OSError) as exc:
                raise NotificationError(
                    f"{block_label(self)}: SMTP server {self.smtp_server}:{self.port} refused "
                    f"the message: {type(exc).__name__}: {exc}"
                ) from None
        return message

    def notify(self, body: str, subject: str | None = None) -> None:
        """E-mail ``body`` as plain text to ``to_addresses``."""
        if not self.to_addresses:
            raise ValueError(f"{block_label(self)}: set to_addresses to use notify()")
        self.send_message(
            subject or "Headwater notification", body, email_to=self.to_addresses, html=False
        )


@task
def email_send_message(
    subject: str,
    msg: str,
    email_server_credentials: SmtpEmail,
    email_to: str | list[str],
    email_to_cc: str | list[str] | None = None,
    email_to_bcc: str | list[str] | None = None,
    attachments: list[str] | None = None,
    msg_plain: str | None = None,
) -> EmailMessage:
    """Send an e-mail (``msg`` as HTML, with ``msg_plain`` as the text part) through an SmtpEmail block."""
    return email_server_credentials.send_message(
        subject,
        msg,
        email_to=email_to,
        email_to_cc=email_to_cc,
        email_to_bcc=email_to_bcc,
        attachments=attachments,
        msg_plain=msg_plain,
    )
