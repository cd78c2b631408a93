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

__all__ = [
    "OPT_IN_FIELD",
    "Address",
    "Resolver",
    "UnsafeUrlError",
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


def resolve_host(
    host: str, port: int, block: str, resolver: Resolver | None = None
) -> list[Address]:
    """Every address ``host`` resolves to (a literal is its own address); UnsafeUrlError if none."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = (resolver or _getaddrinfo)(host, port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeUrlError(f"{block}: cannot resolve host {host!r} ({exc})") from None
    found: list[Address] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        ip = ipaddress.ip_address(raw)
        if ip not in found:
            found.append(ip)
    if not found:
        raise UnsafeUrlError(f"{block}: host {host!r} resolves to no address")
    return found


def refuse_private(host: str, addresses: list[Address], block: str, *, action: str) -> None:
    """Raise UnsafeUrlError naming ``host`` and :data:`OPT_IN_FIELD` if any address is not public.

    ``action`` says what the block refuses to do ("send to", "connect to").
    """
    literal = len(addresses) == 1 and str(addresses[0]) == host.strip("[]")
    for ip in addresses:
        if is_private_address(ip):
            where = "is" if literal else f"resolves to {ip}, which is"
            raise UnsafeUrlError(
                f"{block} refuses to {action} host {host!r}: it {where} a private, loopback, "
                f"link-local or otherwise non-public address; set {OPT_IN_FIELD}=True on "
                "the block to allow private addresses"
            )
