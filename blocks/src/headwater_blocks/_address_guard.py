"""The private-network guard shared by every block that opens connections to a host a user typed.

A webhook URL or an SMTP server name must not become a way to reach the
machine's own services or the private network it runs in (a cloud metadata
endpoint at 169.254.169.254, a database on 10.0.0.5, a relay on localhost).
:func:`resolve_host` resolves a host (an IP literal is its own address; a
decimal or octal form such as ``2130706433`` is resolved by the system to the
address it means), and :func:`refuse_private` refuses it when *any* of its
addresses is private, loopback, link-local, multicast, reserved or otherwise
not globally routable (IPv4 embedded in IPv6 included). Callers then connect
to the very addresses checked, so a DNS answer that changes in between (DNS
rebinding) cannot slip through.

Blocks opt out with a field named ``allow_private_urls`` (:data:`OPT_IN_FIELD`),
which the error names.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

from headwater.errors import HeadwaterError
from headwater.masking import mask_secrets

__all__ = [
    "OPT_IN_FIELD",
    "Address",
    "Resolver",
    "UnsafeUrlError",
    "host_text",
    "is_private_address",
    "refuse_private",
    "resolve_host",
]

Resolver = Callable[..., list[tuple[Any, ...]]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

OPT_IN_FIELD = "allow_private_urls"
"""The block field that lets a block reach private addresses (named in every refusal)."""

_getaddrinfo: Resolver = socket.getaddrinfo
"""How host names are resolved (a module attribute so tests can stand in a DNS answer)."""


class UnsafeUrlError(HeadwaterError, ValueError):
    """A block was asked to connect to a destination it must not reach (private network, bad scheme)."""


def _embedded_ipv4(ip: Address) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def is_private_address(ip: Address) -> bool:
    """Whether ``ip`` is anything but a public unicast address (IPv4 embedded in IPv6 included)."""
    embedded = _embedded_ipv4(ip)
    if embedded is not None and is_private_address(embedded):
        return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def host_text(host: str, secret_field: str | None) -> str:
    """How an error names the host: itself, or (for a URL from a secret) the field it came from."""
    return f"host {host!r}" if secret_field is None else f"the host of field {secret_field!r}"


def _reason(exc: BaseException) -> str:
    """Why a lookup failed, without the name looked up (``strerror``, else the type)."""
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    return type(exc).__name__


def resolve_host(
    host: str,
    port: int,
    block: str,
    resolver: Resolver | None = None,
    secret_field: str | None = None,
) -> list[Address]:
    """Every address ``host`` resolves to (a literal is its own address); UnsafeUrlError if none.

    ``secret_field`` names the field when the host came from a secret: errors then
    name that field and never the host or the resolver's message about it.
    """
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    where = host_text(host, secret_field)
    try:
        infos = (resolver or _getaddrinfo)(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        reason = mask_secrets(str(exc)) if secret_field is None else _reason(exc)
        raise UnsafeUrlError(f"{block}: cannot resolve {where} ({reason})") from None
    found: list[Address] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        ip = ipaddress.ip_address(raw)
        if ip not in found:
            found.append(ip)
    if not found:
        raise UnsafeUrlError(f"{block}: {where} resolves to no address")
    return found


def refuse_private(
    host: str,
    addresses: list[Address],
    block: str,
    *,
    action: str,
    secret_field: str | None = None,
) -> None:
    """Raise UnsafeUrlError naming ``host`` (or ``secret_field``, when the host came from a
    secret) and :data:`OPT_IN_FIELD` if any address is not public.

    ``action`` says what the block refuses to do ("send to", "connect to").
    """
    literal = len(addresses) == 1 and str(addresses[0]) == host.strip("[]")
    for ip in addresses:
        if is_private_address(ip):
            # An address DNS answered is shown; a literal one is part of the host, and the
            # host is shown only when it is not a secret.
            where = "is" if literal else f"resolves to {ip}, which is"
            raise UnsafeUrlError(
                f"{block} refuses to {action} {host_text(host, secret_field)}: it {where} a "
                "private, loopback, link-local or otherwise non-public address; set "
                f"{OPT_IN_FIELD}=True on the block to allow private addresses"
            )
