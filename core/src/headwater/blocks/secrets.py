"""Secret field types and secret references.

A secret field (``SecretStr``, ``SecretBytes``, :class:`SecretDict`) may hold
a *reference* instead of a value: ``env://NAME``, ``file:///abs/path``, or any
scheme an installed package registers under the entry point group
``headwater.secret_resolvers`` (name = scheme, value = ``callable(reference) -> str``).
The reference is what is saved; ``get_secret_value()`` resolves it each time
it is called, and every value seen (literal or resolved) is registered with
:func:`headwater.masking.register_secret` so run logs mask it.
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

from pydantic import (
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    Secret,
    SecretBytes,
    SecretStr,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic.types import _SecretBase
from pydantic_core import core_schema

from headwater.blocks.errors import BlockSecretResolutionError
from headwater.masking import register_secret

__all__ = [
    "SECRET_MASK",
    "SecretDict",
    "SecretJson",
    "is_secret_reference",
    "register_secret_resolver",
    "resolve_secret_reference",
]

SECRET_MASK = "**********"
"""What a masked secret looks like in dumps (pydantic's own mask)."""

RESOLVER_GROUP = "headwater.secret_resolvers"

_SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.-]*)://")

KNOWN_INTEGRATION_SCHEMES = {
    "aws-sm": "headwater-aws",
    "aws-ssm": "headwater-aws",
    "gcp-sm": "headwater-gcp",
    "azure-kv": "headwater-azure",
}
"""Reference schemes that integrations provide, for the install hint."""

serializing: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "headwater_blocks_serializing", default=False
)
"""True while a Block is being dumped: pydantic's own secret serializer calls
get_secret_value(), which must not resolve a reference then."""

_resolvers: dict[str, Callable[[str], str]] = {}
_entry_point_schemes: dict[str, Any] | None = None
_lock = threading.Lock()


def register_secret_resolver(scheme: str, resolver: Callable[[str], str]) -> None:
    """Resolve references ``<scheme>://...`` with ``resolver(reference) -> str`` in this process.

    Packages normally register resolvers through the ``headwater.secret_resolvers``
    entry point group instead; this is for applications and tests.
    """
    if not _SCHEME_RE.match(f"{scheme}://"):
        raise ValueError(f"secret reference scheme {scheme!r} is invalid")
    _resolvers[scheme] = resolver


def _entry_points() -> dict[str, Any]:
    global _entry_point_schemes
    found = _entry_point_schemes
    if found is None:
        with _lock:
            found = {ep.name: ep for ep in entry_points(group=RESOLVER_GROUP)}
            _entry_point_schemes = found
    return found


def _forget_entry_points() -> None:
    """Read the entry points again on next use (after installing a package; for tests)."""
    global _entry_point_schemes
    _entry_point_schemes = None


def reference_scheme(value: object) -> str | None:
    """The scheme of ``value`` when it is a secret reference, else ``None``.

    Only schemes Headwater knows count (``env``, ``file``, registered resolvers,
    known integration schemes), so a secret that merely looks like a URL
    (a webhook URL, ``https://...``) is a value, not a reference.
    """
    if not isinstance(value, str):
        return None
    match = _SCHEME_RE.match(value)
    if match is None:
        return None
    scheme = match.group(1)
    if (
        scheme in {"env", "file"}
        or scheme in _resolvers
        or scheme in KNOWN_INTEGRATION_SCHEMES
        or scheme in _entry_points()
    ):
        return scheme
    return None


def is_secret_reference(value: object) -> bool:
    """Whether ``value`` is a secret reference such as ``env://NAME`` or ``file:///path``."""
    return reference_scheme(value) is not None


def check_reference_syntax(reference: str) -> str | None:
    """Why ``reference`` is malformed, or ``None`` when it is well formed."""
    scheme = reference_scheme(reference)
    rest = reference.split("://", 1)[1] if "://" in reference else ""
    if scheme == "env" and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", rest):
        return "env:// references name an environment variable, e.g. env://DB_PASSWORD"
    if scheme == "file" and not rest.startswith("/"):
        return "file:// references need an absolute path, e.g. file:///run/secrets/db"
    return None


def _where(block: str | None, field: str | None) -> str:
    parts = []
    if block:
        parts.append(f"block {block!r}")
    if field:
        parts.append(f"field {field!r}")
    return " ".join(parts) or "a secret field"


def resolve_secret_reference(
    reference: str, *, block: str | None = None, field: str | None = None
) -> str:
    """The value ``reference`` points at (registered for log masking).

    Raises :class:`BlockSecretResolutionError` naming the block, the field and
    the reference (never a value) when it cannot be resolved.
    """
    scheme = reference_scheme(reference)
    where = _where(block, field)
    if scheme is None:
        raise BlockSecretResolutionError(f"{where}: {reference!r} is not a secret reference")
    problem = check_reference_syntax(reference)
    if problem:
        raise BlockSecretResolutionError(f"{where}: bad secret reference {reference!r}: {problem}")
    rest = reference.split("://", 1)[1]
    if scheme == "env":
        value = os.environ.get(rest)
        if value is None:
            raise BlockSecretResolutionError(
                f"{where}: cannot resolve secret reference {reference!r}: "
                f"the environment variable {rest} is not set"
            )
    elif scheme == "file":
        try:
            value = Path(rest).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = (
                exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
            )
            raise BlockSecretResolutionError(
                f"{where}: cannot resolve secret reference {reference!r}: {reason}"
            ) from None
        if value.endswith("\n"):  # files written by editors and `echo` end with one
            value = value[:-2] if value.endswith("\r\n") else value[:-1]
    else:
        value = _resolve_with_plugin(scheme, reference, where)
    register_secret(value)
    return value


def _resolve_with_plugin(scheme: str, reference: str, where: str) -> str:
    resolver = _resolvers.get(scheme)
    if resolver is None:
        ep = _entry_points().get(scheme)
        if ep is None:
            package = KNOWN_INTEGRATION_SCHEMES.get(scheme, "the package that provides it")
            raise BlockSecretResolutionError(
                f"{where}: cannot resolve secret reference {reference!r}: no resolver for "
                f"{scheme}:// is installed; pip install {package}"
            )
        try:
            resolver = ep.load()
        except Exception as exc:
            raise BlockSecretResolutionError(
                f"{where}: cannot resolve secret reference {reference!r}: the resolver for "
                f"{scheme}:// ({ep.value}) failed to import: {type(exc).__name__}: {exc}"
            ) from None
        _resolvers[scheme] = resolver
    try:
        value = resolver(reference)
    except BlockSecretResolutionError:
        raise
    except Exception as exc:
        # The resolver's message is about the reference, not the value (it has none).
        raise BlockSecretResolutionError(
            f"{where}: cannot resolve secret reference {reference!r}: {type(exc).__name__}: {exc}"
        ) from None
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    if not isinstance(value, str):
        raise BlockSecretResolutionError(
            f"{where}: the resolver for {scheme}:// returned {type(value).__name__}, not str"
        )
    return value


# -- secret types ------------------------------------------------------------------------


class _Located:
    """Where a secret lives (for error messages): block label and field path."""

    _hw_block: str | None = None
    _hw_field: str | None = None

    def _locate(self, block: str | None, field: str | None) -> None:
        self._hw_block = block
        self._hw_field = field


def _resolve_nested(value: Any, block: str | None, field: str | None) -> Any:
    if isinstance(value, str):
        if is_secret_reference(value):
            return resolve_secret_reference(value, block=block, field=field)
        return value
    if isinstance(value, dict):
        return {
            k: _resolve_nested(v, block, f"{field}.{k}" if field else str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolve_nested(v, block, field) for v in value]
    return value


def _register_nested(value: Any) -> None:
    if isinstance(value, str):
        if not is_secret_reference(value):
            register_secret(value)
    elif isinstance(value, dict):
        for v in value.values():
            _register_nested(v)
    elif isinstance(value, list):
        for v in value:
            _register_nested(v)


def _serialize_own_secret(value: Any, info: core_schema.SerializationInfo) -> Any:
    if info.mode == "json":
        return SECRET_MASK
    return value


class _OwnSecret(_Located, Secret[Any]):
    """Base of our secret containers: validation never resolves references."""

    _inner_type: ClassVar[Any] = Any

    def _display(self) -> str:
        return SECRET_MASK

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner = handler.generate_schema(cls._inner_type)

        def validate(value: Any, inner_handler: Callable[[Any], Any]) -> Any:
            if isinstance(value, _SecretBase):
                value = stored_secret(value)
            return cls(inner_handler(value))

        return core_schema.json_or_python_schema(
            python_schema=core_schema.no_info_wrap_validator_function(validate, inner),
            json_schema=core_schema.no_info_after_validator_function(cls, inner),
            serialization=core_schema.plain_serializer_function_ser_schema(
                _serialize_own_secret, info_arg=True, when_used="always"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        out = handler(schema)
        out = handler.resolve_ref_schema(out)
        out["writeOnly"] = True
        out["format"] = "password"
        return out

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and stored_secret(other) == self._secret_value

    def __hash__(self) -> int:
        return hash(repr(self._secret_value))


class SecretDict(_OwnSecret):
    """A secret dictionary (headers, connection settings): masked in repr and dumps.

    String values may be secret references; ``get_secret_value()`` returns a
    copy with every reference resolved.
    """

    _inner_type = dict[str, Any]

    def get_secret_value(self) -> dict[str, Any]:
        return dict(_resolve_nested(self._secret_value, self._hw_block, self._hw_field))


class SecretJson(_OwnSecret):
    """A secret JSON value (list, number, object...); string parts may be references."""

    _inner_type = JsonValue

    def get_secret_value(self) -> JsonValue:
        return _resolve_nested(self._secret_value, self._hw_block, self._hw_field)  # type: ignore[no-any-return]


class _ReferenceSecretStr(_Located, SecretStr):
    """A SecretStr whose stored value is a reference, resolved at each use."""

    def get_secret_value(self) -> str:
        if serializing.get():
            return self._secret_value
        return resolve_secret_reference(
            self._secret_value, block=self._hw_block, field=self._hw_field
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and stored_secret(other) == self._secret_value

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __repr__(self) -> str:
        return f"SecretStr({self._display()!r})"

    def _display(self) -> str:
        return SECRET_MASK


class _ReferenceSecretBytes(_Located, SecretBytes):
    """A SecretBytes whose stored value is a reference (as UTF-8 bytes), resolved at each use."""

    def get_secret_value(self) -> bytes:
        if serializing.get():
            return self._secret_value
        reference = self._secret_value.decode("utf-8")
        return resolve_secret_reference(
            reference, block=self._hw_block, field=self._hw_field
        ).encode("utf-8")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretBytes) and stored_secret(other) == self._secret_value

    def __hash__(self) -> int:
        return hash(self._secret_value)

    def __repr__(self) -> str:
        return f"SecretBytes({self._display()!r})"

    def _display(self) -> bytes:
        return SECRET_MASK.encode()


def stored_secret(secret: _SecretBase[Any]) -> Any:
    """What is saved for ``secret``: its literal value or its reference (never resolved)."""
    return secret._secret_value


def secret_reference(secret: _SecretBase[Any]) -> str | None:
    """The reference a SecretStr/SecretBytes holds, or ``None`` for a literal value."""
    raw = stored_secret(secret)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return raw if is_secret_reference(raw) else None


def prepare_secret(value: Any, block: str | None, field: str) -> Any:
    """Turn references into resolving secrets, register literal values for masking.

    Raises ValueError naming the field for a malformed reference.
    """
    if isinstance(value, _SecretBase):
        raw = stored_secret(value)
        if isinstance(value, SecretDict | SecretJson):
            value._locate(block, field)
            _check_nested_references(raw, field)
            _register_nested(raw)
            return value
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if isinstance(text, str) and is_secret_reference(text):
            problem = check_reference_syntax(text)
            if problem:
                raise ValueError(f"field {field!r}: bad secret reference {text!r}: {problem}")
            if isinstance(value, SecretStr):
                if not isinstance(value, _ReferenceSecretStr):
                    value = _ReferenceSecretStr(text)
                value._locate(block, field)
            elif isinstance(value, SecretBytes):
                if not isinstance(value, _ReferenceSecretBytes):
                    value = _ReferenceSecretBytes(text.encode("utf-8"))
                value._locate(block, field)
            return value
        if isinstance(raw, str):
            register_secret(raw)
        elif isinstance(raw, bytes):
            try:
                register_secret(raw.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        return value
    if isinstance(value, list):
        return [prepare_secret(v, block, field) for v in value]
    if isinstance(value, tuple):
        return tuple(prepare_secret(v, block, field) for v in value)
    if isinstance(value, dict):
        return {k: prepare_secret(v, block, f"{field}.{k}") for k, v in value.items()}
    return value


def _check_nested_references(raw: Any, field: str) -> None:
    if isinstance(raw, str) and is_secret_reference(raw):
        problem = check_reference_syntax(raw)
        if problem:
            raise ValueError(f"field {field!r}: bad secret reference {raw!r}: {problem}")
    elif isinstance(raw, dict):
        for k, v in raw.items():
            _check_nested_references(v, f"{field}.{k}")
    elif isinstance(raw, list):
        for v in raw:
            _check_nested_references(v, field)


def locate_secrets(value: Any, block: str | None) -> None:
    """Update the block label of the resolving secrets inside ``value`` (after save/load)."""
    if isinstance(value, _Located):
        value._hw_block = block
    elif isinstance(value, list | tuple):
        for v in value:
            locate_secrets(v, block)
    elif isinstance(value, dict):
        for v in value.values():
            locate_secrets(v, block)


def dump_secret(secret: _SecretBase[Any], *, reveal: bool, json_mode: bool) -> Any:
    """The dumped form of ``secret``: its stored value when ``reveal``, its reference
    when it is one, else the mask (per value for dicts, so references stay visible)."""
    raw = stored_secret(secret)
    if reveal:
        if isinstance(raw, bytes) and json_mode:
            return raw.decode("utf-8")
        return raw
    if isinstance(secret, SecretDict | SecretJson):
        return _mask_nested(raw)
    reference = secret_reference(secret)
    if reference is not None:
        return reference
    return SECRET_MASK if json_mode else secret


def _mask_nested(raw: Any) -> Any:
    if isinstance(raw, dict):
        return {k: _mask_nested(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_mask_nested(v) for v in raw]
    if isinstance(raw, str) and is_secret_reference(raw):
        return raw
    return SECRET_MASK
