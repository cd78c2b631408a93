"""What the block commands and pages need to know about a block class's fields.

A field is a *secret* (``SecretStr``, ``SecretBytes``, ``SecretDict``, or an
optional/union of them), a *block* (a nested Block subclass or a union of
them), or *plain*. The CLI masks secrets, recurses into nested blocks and
parses ``--set`` values by these kinds. Everything here reads the pydantic
model only; nothing touches the store. Shared by the CLI and the server UI,
so it lives below both, in the blocks layer; it imports ``headwater.blocks``
only when called, since the CLI loads it at startup.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from headwater.blocks import Block

__all__ = [
    "FieldKind",
    "FieldSpec",
    "field_specs",
    "is_reference",
    "reference_schemes",
]

FieldKind = Literal["secret", "block", "plain"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a block class, as the CLI sees it."""

    name: str
    kind: FieldKind
    required: bool
    stringly: bool
    """True when the field takes a string: ``--set`` keeps the value unparsed."""
    block_types: tuple[type[Block], ...] = ()
    """For ``kind == "block"``: the block classes the field accepts."""


def _flatten(annotation: Any) -> Iterator[Any]:
    """The members of a Union/Optional/Annotated annotation (the annotation itself otherwise)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _flatten(typing.get_args(annotation)[0])
    elif origin is typing.Union or origin is types.UnionType:
        for arg in typing.get_args(annotation):
            yield from _flatten(arg)
    else:
        yield annotation


def _secret_types() -> tuple[type[Any], ...]:
    # Deferred: the CLI imports this module at startup; headwater.blocks pulls in pydantic.
    from pydantic import SecretBytes, SecretStr

    from headwater.blocks import SecretDict

    return (SecretStr, SecretBytes, SecretDict)


def _is_subclass(candidate: Any, bases: type[Any] | tuple[type[Any], ...]) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, bases)


def field_specs(cls: type[Block]) -> dict[str, FieldSpec]:
    """Every model field of ``cls`` with its kind, in declaration order."""
    from headwater.blocks import Block  # deferred: import time of the CLI (see above)

    secret_types = _secret_types()
    specs: dict[str, FieldSpec] = {}
    for name, info in cls.model_fields.items():
        members = [m for m in _flatten(info.annotation) if m is not type(None)]
        blocks = tuple(m for m in members if _is_subclass(m, Block))
        if any(_is_subclass(m, secret_types) for m in members):
            kind: FieldKind = "secret"
        elif blocks:
            kind = "block"
        else:
            kind = "plain"
        stringly = bool(members) and all(
            m is str or _is_subclass(m, str) or _is_subclass(m, secret_types[:2]) for m in members
        )
        specs[name] = FieldSpec(
            name=name,
            kind=kind,
            required=info.is_required(),
            stringly=stringly,
            block_types=blocks,
        )
    return specs


def reference_schemes() -> frozenset[str]:
    """Schemes of the installed secret resolvers (for hints; not a validity test)."""
    from importlib.metadata import entry_points  # deferred: costly, and only hints need it

    schemes = {"env", "file"}
    schemes.update(ep.name for ep in entry_points(group="headwater.secret_resolvers"))
    return frozenset(schemes)


def is_reference(value: object) -> bool:
    """True when ``value`` is a secret reference (``env://NAME``, ``file:///path``, ...).

    The blocks package decides (known schemes only), so a secret that merely looks
    like a URL (``https://hooks...``) is a value, exactly as it is when saved.
    """
    from headwater.blocks import is_secret_reference  # deferred: import time of the CLI

    return is_secret_reference(value)
