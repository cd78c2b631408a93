"""Turning what the user typed into block data, and pydantic errors into one line.

``--set field=value`` values are JSON when they parse as JSON and strings
otherwise, except that a field which takes a string (``str``, ``SecretStr``)
keeps the text as typed, so ``--set port_name=8080`` stays ``"8080"``.
Dotted keys (``credentials.region=eu-west-1``) build nested mappings.
Validation errors name the field and the reason but never the input value,
which may be a secret.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from headwater._block_fields import field_specs
from headwater.cli._errors import CliError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from headwater.blocks import Block

__all__ = ["describe_validation_error", "parse_assignments", "split_address"]


def split_address(address: str) -> tuple[str, str]:
    """``"aws-credentials/prod"`` -> ``("aws-credentials", "prod")``."""
    slug, sep, name = address.partition("/")
    if not sep or not slug.strip() or not name.strip():
        raise CliError(
            f"expected TYPE/NAME such as 'secret/db-password', got {address!r} "
            "(see 'headwater block types' for the types)"
        )
    return slug.strip(), name.strip()


def _takes_string(cls: type[Block], path: list[str]) -> bool:
    """Whether the field at ``path`` (through nested blocks) takes a string."""
    specs = field_specs(cls)
    spec = specs.get(path[0])
    if spec is None:
        return False
    if len(path) == 1:
        return spec.stringly
    if spec.kind == "block" and len(spec.block_types) == 1:
        return _takes_string(spec.block_types[0], path[1:])
    return False


def _parse_value(raw: str, *, stringly: bool) -> Any:
    if stringly:
        # A JSON string literal ("...") is unquoted; anything else is the text itself.
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            try:
                return json.loads(raw)
            except json.JSONDecodeError:
                return raw
        return raw
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def parse_assignments(cls: type[Block], assignments: list[str]) -> dict[str, Any]:
    """Block data from ``field=value`` strings (dotted fields build nested mappings)."""
    data: dict[str, Any] = {}
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        path = [part.strip() for part in key.split(".")]
        if not sep or not all(path):
            raise CliError(f"--set expects field=value (dots for nested fields), got {key!r}")
        value = _parse_value(raw, stringly=_takes_string(cls, path))
        target = data
        for depth, part in enumerate(path[:-1]):
            child = target.setdefault(part, {})
            if not isinstance(child, dict):
                dotted = ".".join(path[: depth + 1])
                raise CliError(f"--set {key}: field {dotted!r} was already given a value")
            target = child
        if path[-1] in target:
            raise CliError(f"--set {key}: the field is given more than once")
        target[path[-1]] = value
    return data


def describe_validation_error(exc: ValidationError, *, block: str) -> str:
    """``invalid data for secret/db: field 'port': Input should be a valid integer``.

    Only locations and messages are used: pydantic's own text repeats the input
    value, which may be a secret.
    """
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        location = ".".join(str(part) for part in error["loc"]) or "(document)"
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"field {location!r}: {message}")
    return f"invalid data for {block}: " + "; ".join(problems)
