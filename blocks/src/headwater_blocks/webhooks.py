"""Outgoing webhooks: the SSRF guard every notification block uses, and ``CustomWebhook``.

A block that sends HTTP requests to a URL a user typed must not become a way to
reach the machine's own services or the private network it runs in (a cloud
metadata endpoint at 169.254.169.254, a database on 10.0.0.5, an admin page on
localhost). :func:`check_url` resolves the URL's host and refuses it when *any*
address it resolves to is private, loopback, link-local, multicast, reserved or
otherwise not globally routable, unless the block says ``allow_private_urls=True``.
The check is made twice: before anything is sent (for a clear error), and again
when the connection is opened, which then goes to the very address just checked,
so a host whose DNS answer changes in between (DNS rebinding) cannot slip
through. Redirects are never followed, so a public URL cannot bounce a request
inward, and proxy settings from the environment are not used (the guard must
see the real destination).

``CustomWebhook`` sends a request whose URL, query, headers and JSON or form
body are templates: ``{{subject}}`` and ``{{body}}`` are the notification's,
and ``{{KEY}}`` is the value of ``KEY`` in the block's ``secrets``.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx
from pydantic import Field, model_validator

from headwater.blocks import Block, NotificationBlock, SecretDict
from headwater.errors import HeadwaterError
from headwater.masking import mask_secrets
from headwater_blocks._address_guard import (
    Resolver,
    UnsafeUrlError,
    host_text,
    refuse_private,
    resolve_host,
)

__all__ = [
    "CustomWebhook",
    "NotificationError",
    "UnsafeUrlError",
    "check_url",
    "send_request",
]


class NotificationError(HeadwaterError):
    """A notification could not be delivered (connection failed, or the server answered with an error)."""


def block_label(block: Block) -> str:
    """How errors name a block: its type slug, and its saved name when it was loaded or saved."""
    slug = type(block).get_block_type_slug()
    name = block.block_document_name
    return f"{slug}/{name}" if isinstance(name, str) and name else f"{slug} block"


def check_url(
    url: str,
    *,
    block: str,
    allow_private: bool = False,
    resolver: Resolver | None = None,
    secret_field: str | None = None,
) -> None:
    """Refuse ``url`` unless it is http(s) to a host whose every address is public.

    ``block`` names the block in the error. ``allow_private=True`` skips the
    address check (for webhooks inside your own network). The URL itself is
    never put in an error, since webhook URLs often carry a token; the host is.
    ``secret_field`` names the field a secret URL came from (a chat webhook's
    ``url``, a template filled from ``secrets``): errors then name that field
    and show no part of the value, neither its scheme, host, port nor the
    parser's complaint (the "URL" may be a password put in the wrong field);
    an address the host resolved to is still shown.
    Raises :class:`UnsafeUrlError`.
    """
    what = "the URL" if secret_field is None else f"the URL in field {secret_field!r}"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        reason = f" ({mask_secrets(str(exc))})" if secret_field is None else ""
        raise UnsafeUrlError(f"{block}: {what} is not valid{reason}") from None
    if parts.scheme not in ("http", "https"):
        found = ""
        if secret_field is None:
            found = f", not {parts.scheme + '://' if parts.scheme else 'nothing'}"
        raise UnsafeUrlError(f"{block}: {what} must start with http:// or https://{found}")
    host = parts.hostname
    if not host:
        raise UnsafeUrlError(f"{block}: {what} has no host")
    if allow_private:
        return
    default_port = 443 if parts.scheme == "https" else 80
    addresses = resolve_host(host, port or default_port, block, resolver, secret_field)
    refuse_private(host, addresses, block, action="send to", secret_field=secret_field)


class _GuardedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses that pass the guard, by address.

    The host is resolved here, every address is checked, and the socket is
    connected to a checked address, so what was checked is what is reached.
    TLS still verifies the certificate against the host name (httpcore passes
    the URL's host for SNI and hostname checks).
    """

    def __init__(self, block: str, allow_private: bool, secret_field: str | None = None) -> None:
        self._block = block
        self._allow_private = allow_private
        self._secret_field = secret_field

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        addresses = resolve_host(host, port, self._block, None, self._secret_field)
        if not self._allow_private:
            refuse_private(
                host, addresses, self._block, action="send to", secret_field=self._secret_field
            )
        error: Exception | None = None
        for ip in addresses:
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None
        raise error


class _GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that uses :class:`_GuardedBackend`."""

    def __init__(self, block: str, allow_private: bool, secret_field: str | None = None) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl.create_default_context(cafile=certifi.where()),
            network_backend=_GuardedBackend(block, allow_private, secret_field),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = self._pool.handle_request(core_request)
            try:
                content = response.read()
            finally:
                response.close()
        except httpcore.TimeoutException as exc:
            raise httpx.TimeoutException(str(exc), request=request) from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise httpx.TransportError(f"{type(exc).__name__}: {exc}", request=request) from None
        return httpx.Response(
            response.status,
            headers=response.headers,
            content=content,
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def send_request(
    block: Block,
    *,
    method: str,
    url: str,
    allow_private: bool,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    data: Mapping[str, str] | None = None,
    secret_field: str | None = None,
) -> httpx.Response:
    """Check ``url`` with :func:`check_url`, send one request (no redirects) and require a 2xx answer.

    Raises :class:`UnsafeUrlError` before any traffic, or :class:`NotificationError`
    naming the block, the host and the status (never the URL or the body sent).
    ``secret_field`` names the field a secret URL came from: errors then name
    it instead of the host (see :func:`check_url`).
    """
    label = block_label(block)
    check_url(url, block=label, allow_private=allow_private, secret_field=secret_field)
    where = host_text(urlsplit(url).hostname or "", secret_field)
    try:
        with httpx.Client(
            transport=_GuardedTransport(label, allow_private, secret_field),
            timeout=timeout,
            follow_redirects=False,
            trust_env=False,
        ) as client:
            response = client.request(
                method,
                url,
                headers=dict(headers) if headers else None,
                params=dict(params) if params else None,
                json=json,
                data=dict(data) if data is not None else None,
            )
    except httpx.InvalidURL:  # a URL urlsplit accepted but httpx does not (a control character)
        raise UnsafeUrlError(
            f"{label}: the URL{'' if secret_field is None else f' in field {secret_field!r}'} "
            "is not valid"
        ) from None
    except httpx.HTTPError as exc:
        raise NotificationError(
            f"{label}: the request to {where} failed: {type(exc).__name__}: "
            f"{mask_secrets(str(exc))}"
        ) from None
    if not response.is_success:
        detail = mask_secrets(response.text[:200].strip())
        raise NotificationError(
            f"{label}: {where} answered HTTP {response.status_code}"
            + (f": {detail}" if detail else "")
        )
    return response


# -- templating ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def placeholders(value: Any) -> set[str]:
    """Every ``{{name}}`` used in ``value`` (strings inside dicts and lists included)."""
    found: set[str] = set()
    if isinstance(value, str):
        found.update(_PLACEHOLDER.findall(value))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found |= placeholders(key) | placeholders(item)
    elif isinstance(value, list | tuple):
        for item in value:
            found |= placeholders(item)
    return found


def render(value: Any, values: Mapping[str, str]) -> Any:
    """``value`` with every ``{{name}}`` replaced by ``values[name]`` (all names must be known)."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], value)
    if isinstance(value, Mapping):
        return {render(k, values): render(v, values) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [render(item, values) for item in value]
    return value


class CustomWebhook(NotificationBlock):
    """Send a notification to any HTTP endpoint, with a templated URL, headers and body.

    Strings in ``url``, ``params``, ``headers``, ``json_data`` and ``form_data``
    may use ``{{subject}}`` and ``{{body}}`` (the notification's) and
    ``{{KEY}}`` for any key of ``secrets``, so tokens live in a secret field
    (or a secret reference such as ``env://NAME``) instead of the template.
    Private and loopback hosts are refused unless ``allow_private_urls`` is set.

    Example:
        ```python
        from headwater_blocks import CustomWebhook

        # saved once as CustomWebhook(url="https://example.com/api/alerts",
        #     json_data={"title": "{{subject}}", "text": "{{body}}"},
        #     headers={"Authorization": "Bearer {{token}}"},
        #     secrets={"token": "env://ALERTS_TOKEN"}).save("BLOCK_NAME")
        hook = CustomWebhook.load("BLOCK_NAME")
        hook.notify("disk almost full", subject="db-1")
        ```
    """

    url: str = Field(description="Endpoint URL; may contain {{placeholders}}.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="POST", description="HTTP method."
    )
    params: dict[str, str] = Field(
        default_factory=dict, description="Query parameters (templated)."
    )
    headers: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Request headers (templated; secret, since they often hold tokens).",
    )
    json_data: dict[str, Any] | None = Field(
        default=None, description="JSON body (templated); exclusive with form_data."
    )
    form_data: dict[str, str] | None = Field(
        default=None, description="Form body (templated); exclusive with json_data."
    )
    secrets: SecretDict = Field(
        default_factory=lambda: SecretDict({}),
        description="Values for {{KEY}} placeholders; never shown.",
    )
    timeout: float = Field(default=10.0, gt=0, description="Request timeout in seconds.")
    allow_private_urls: bool = Field(
        default=False,
        description="Allow hosts on private, loopback or link-local addresses.",
    )

    @model_validator(mode="after")
    def _one_body(self) -> CustomWebhook:
        if self.json_data is not None and self.form_data is not None:
            raise ValueError("set json_data or form_data, not both")
        return self

    def _values(self, body: str, subject: str | None) -> dict[str, str]:
        secrets = self.secrets.get_secret_value()
        if not isinstance(secrets, Mapping):
            raise ValueError(f"{block_label(self)}: field 'secrets' must hold a mapping")
        values = {str(k): str(v) for k, v in secrets.items()}
        values.update(subject=subject or "", body=body)
        return values

    def notify(self, body: str, subject: str | None = None) -> None:
        """Render the templates with ``subject``, ``body`` and the secrets, and send the request."""
        values = self._values(body, subject)
        headers = self.headers.get_secret_value()
        templates: dict[str, Any] = {
            "url": self.url,
            "params": self.params,
            "headers": headers,
            "json_data": self.json_data,
            "form_data": self.form_data,
        }
        for field, template in templates.items():
            unknown = placeholders(template) - set(values)
            if unknown:
                known = sorted(set(values))
                raise ValueError(
                    f"{block_label(self)}: field {field!r} uses unknown placeholder(s) "
                    f"{', '.join('{{' + u + '}}' for u in sorted(unknown))}; known: {', '.join(known)}"
                )
        send_request(
            self,
            method=self.method,
            url=render(self.url, values),
            # a URL filled from placeholders may hold a secret: errors name the field
            secret_field="url" if placeholders(self.url) else None,
            allow_private=self.allow_private_urls,
            timeout=self.timeout,
            headers=render(headers, values),
            params=render(self.params, values),
            json=render(self.json_data, values),
            data=render(self.form_data, values),
        )
