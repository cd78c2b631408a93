"""The Block base class: typed, secret-safe configuration saved by name.

A block is a pydantic model. Its type slug comes from the class name
(``AwsCredentials`` -> ``aws-credentials``), its schema version is declared
(``_block_schema_version``), its description and code example come from the
docstring. ``save``/``load``/``delete``/``list_documents`` go through the
store; documents are encrypted at rest (see :mod:`headwater.blocks.documents`).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic.types import _SecretBase

from headwater._store import get_store
from headwater.blocks import _naming
from headwater.blocks.errors import BlockNotFound
from headwater.blocks.registry import get_block_class, register_block_type
from headwater.blocks.secrets import dump_secret, locate_secrets, prepare_secret, serializing
from headwater.errors import ObjectNotFound
from headwater.logging import current_logger

__all__ = ["Block", "BlockDocumentInfo"]


@dataclass(frozen=True, slots=True)
class BlockDocumentInfo:
    """A saved block document, without its data."""

    id: str
    block_type_slug: str
    name: str
    schema_version: int
    created: float
    updated: float

    @property
    def reference(self) -> str:
        """``"slug/name"``, as ``Block.load`` takes it."""
        return f"{self.block_type_slug}/{self.name}"


def _mentions_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, _SecretBase):
        return True
    return any(_mentions_secret(arg) for arg in typing.get_args(annotation))


def _block_types_in(annotation: Any) -> list[type[Block]]:
    if isinstance(annotation, type) and issubclass(annotation, Block):
        return [annotation]
    found: list[type[Block]] = []
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, dict, set, frozenset):
        return found  # containers of blocks are stored inline
    for arg in typing.get_args(annotation):
        found.extend(_block_types_in(arg))
    return found


class Block(BaseModel):
    """Base class of every block.

    Subclasses declare fields like any pydantic model. Class metadata (all
    optional): ``_block_type_slug``, ``_block_schema_version`` (default 1),
    ``_block_migrations`` (``{N: fn}`` migrates a version-N document's data to
    N+1), ``_logo_url``, ``_documentation_url``, ``_description``,
    ``_code_example``.
    """

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        hide_input_in_errors=True,  # a validation error must never echo a secret
        arbitrary_types_allowed=False,
    )

    _block_type_slug: ClassVar[str | None] = None
    _block_schema_version: ClassVar[int] = 1
    _block_migrations: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}
    _logo_url: ClassVar[str | None] = None
    _documentation_url: ClassVar[str | None] = None
    _description: ClassVar[str | None] = None
    _code_example: ClassVar[str | None] = None
    _block_capabilities: ClassVar[frozenset[str]] = frozenset()
    """Capabilities an interface class adds (collected over the MRO)."""

    _block_document_id: str | None = PrivateAttr(default=None)
    _block_document_name: str | None = PrivateAttr(default=None)

    # -- class creation ---------------------------------------------------------------
    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        version = cls._block_schema_version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise TypeError(
                f"{cls.__qualname__}._block_schema_version must be an integer >= 1, not {version!r}"
            )
        for start in cls._block_migrations:
            if not isinstance(start, int) or not 1 <= start < version:
                raise TypeError(
                    f"{cls.__qualname__}._block_migrations has key {start!r}; keys are the "
                    f"versions 1..{version - 1} a migration upgrades from"
                )
        if "_block_type_slug" in cls.__dict__ and cls.__dict__["_block_type_slug"] is not None:
            _naming.validate_slug(cls.__dict__["_block_type_slug"])
        if not inspect.isabstract(cls):
            register_block_type(cls)

    # -- class metadata ---------------------------------------------------------------
    @classmethod
    def get_block_type_slug(cls) -> str:
        """The type slug: ``_block_type_slug`` if the class sets it, else its name kebab-cased."""
        slug = cls.__dict__.get("_block_type_slug")
        return slug if isinstance(slug, str) else _naming.kebab_case(cls.__name__)

    @classmethod
    def get_block_capabilities(cls) -> frozenset[str]:
        """What the block can do, from the interfaces it implements (``read-path``, ``notify``, ...)."""
        caps: set[str] = set()
        for klass in cls.__mro__:
            caps.update(klass.__dict__.get("_block_capabilities", ()))
        return frozenset(caps)

    @classmethod
    def get_description(cls) -> str:
        """``_description``, else the first paragraph of the class docstring."""
        explicit = cls.__dict__.get("_description")
        if isinstance(explicit, str) and explicit:
            return explicit
        return _naming.docstring_description(cls.__dict__.get("__doc__"))

    @classmethod
    def get_code_example(cls) -> str:
        """``_code_example``, else the docstring's Example section, else a generated ``load``."""
        explicit = cls.__dict__.get("_code_example")
        if isinstance(explicit, str) and explicit:
            return explicit
        example = _naming.docstring_example(cls.__dict__.get("__doc__"))
        if example:
            return example
        return (
            f"from {cls.__module__} import {cls.__name__}\n\n"
            f'{_naming.kebab_case(cls.__name__).replace("-", "_")} = {cls.__name__}.load("BLOCK_NAME")'
        )

    @classmethod
    def secret_fields(cls) -> list[str]:
        """Paths of the secret fields (``password``, ``credentials.token`` for nested blocks)."""
        out: list[str] = []
        for name, info in cls.model_fields.items():
            if _mentions_secret(info.annotation):
                out.append(name)
            for nested in _block_types_in(info.annotation):
                out.extend(f"{name}.{path}" for path in nested.secret_fields() if nested is not cls)
        return list(dict.fromkeys(out))

    @classmethod
    def _secret_field_names(cls) -> tuple[str, ...]:
        cached = cls.__dict__.get("_hw_secret_fields")
        if cached is None:
            cached = tuple(
                name for name, info in cls.model_fields.items() if _mentions_secret(info.annotation)
            )
            type.__setattr__(cls, "_hw_secret_fields", cached)
        return cached

    @classmethod
    def block_json_schema(cls) -> dict[str, Any]:
        """The JSON Schema of the block's fields, with block metadata
        (``block_type_slug``, ``block_schema_version``, ``secret_fields``, ``capabilities``)."""
        schema = cls.model_json_schema()
        schema["block_type_slug"] = cls.get_block_type_slug()
        schema["block_schema_version"] = cls._block_schema_version
        schema["secret_fields"] = cls.secret_fields()
        schema["capabilities"] = sorted(cls.get_block_capabilities())
        description = cls.get_description()
        if description:
            schema["description"] = description
        return schema

    # -- secrets ----------------------------------------------------------------------
    @model_validator(mode="after")
    def _prepare_secrets(self) -> Self:
        label = self._label()
        for name in type(self)._secret_field_names():
            value = self.__dict__.get(name)
            if value is not None:
                self.__dict__[name] = prepare_secret(value, label, name)
        return self

    @model_serializer(mode="wrap")
    def _serialize(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        token = serializing.set(True)
        try:
            data: dict[str, Any] = handler(self)
        finally:
            serializing.reset(token)
        context = info.context
        reveal = bool(isinstance(context, dict) and context.get("include_secrets"))
        json_mode = info.mode_is_json()
        for name in type(self)._secret_field_names():
            if name in data:
                data[name] = _merge_secrets(
                    self.__dict__.get(name), data[name], reveal=reveal, json_mode=json_mode
                )
        return data

    def _label(self) -> str:
        slug = type(self).get_block_type_slug()
        private = self.__pydantic_private__
        name = private.get("_block_document_name") if private else None
        return f"{slug}/{name}" if name else slug

    def _set_document(self, document_id: str, name: str) -> None:
        self._block_document_id = document_id
        self._block_document_name = name
        label = self._label()
        for field in type(self)._secret_field_names():
            locate_secrets(self.__dict__.get(field), label)

    @property
    def logger(self) -> logging.Logger | logging.LoggerAdapter[Any]:
        """The run logger inside a flow or task run, else ``headwater.blocks.<slug>``."""
        return current_logger(f"blocks.{type(self).get_block_type_slug()}")

    @property
    def block_document_id(self) -> str | None:
        """The id of the document this block was saved as or loaded from, else ``None``."""
        return self._block_document_id

    @property
    def block_document_name(self) -> str | None:
        """The name this block was saved as or loaded from, else ``None``."""
        return self._block_document_name

    # -- persistence ------------------------------------------------------------------
    def save(self, name: str, *, overwrite: bool = False) -> str:
        """Save this block as ``name``; returns the document id.

        ValueError when the name is invalid, or taken and ``overwrite`` is false
        (nothing is changed then). Nested blocks that were saved are stored as
        references to their documents, others inline.
        """
        from headwater.blocks import documents  # deferred: documents.py imports Block from here

        _naming.validate_name(name)
        if inspect.isabstract(type(self)):
            raise TypeError(f"{type(self).__qualname__} is abstract and cannot be saved")
        record = documents.save_document(self, name, overwrite=overwrite)
        self._set_document(record.id, record.name)
        return record.id

    async def asave(self, name: str, *, overwrite: bool = False) -> str:
        """Async twin of :meth:`save` (runs it in a worker thread)."""
        return await asyncio.to_thread(self.save, name, overwrite=overwrite)

    @classmethod
    def _target(cls, name: str) -> tuple[type[Block], str, str]:
        """(class, slug, name) for ``load``/``delete`` on this class."""
        if not isinstance(name, str):
            raise TypeError(f"block name must be a string, not {type(name).__name__}")
        if "/" in name:
            slug, doc_name = _naming.split_reference(name)
            block_cls = get_block_class(slug)
            if not issubclass(block_cls, cls):
                raise ValueError(
                    f"{name!r} is a {block_cls.__qualname__} block, not a {cls.__qualname__}"
                )
            return block_cls, slug, doc_name
        if cls is Block or inspect.isabstract(cls):
            raise ValueError(
                f"{cls.__qualname__}.load/delete needs 'block-type-slug/name', e.g. "
                f"'local-file-system/{name}'; got {name!r}"
            )
        _naming.validate_name(name)
        return cls, cls.get_block_type_slug(), name

    @classmethod
    def load(cls, name: str) -> Self:
        """The block saved as ``name`` (``"slug/name"`` on ``Block`` or an interface).

        Raises :class:`BlockNotFound`, :class:`UnknownBlockType` (with the
        package to install) or :class:`BlockDocumentError` (corrupted document).
        """
        from headwater.blocks import documents  # deferred: documents.py imports Block from here

        block_cls, slug, doc_name = cls._target(name)
        block = documents.load_document(block_cls, slug, doc_name)
        return block  # type: ignore[return-value]

    @classmethod
    async def aload(cls, name: str) -> Self:
        """Async twin of :meth:`load`."""
        return await asyncio.to_thread(cls.load, name)

    @classmethod
    def delete(cls, name: str) -> None:
        """Delete the document ``name`` (``"slug/name"`` on ``Block``); BlockNotFound if none."""
        _, slug, doc_name = cls._target(name)
        try:
            get_store().delete_block_document(slug, doc_name)
        except ObjectNotFound:
            raise BlockNotFound(f"no block '{slug}/{doc_name}' to delete") from None

    @classmethod
    async def adelete(cls, name: str) -> None:
        """Async twin of :meth:`delete`."""
        await asyncio.to_thread(cls.delete, name)

    @classmethod
    def list_documents(cls, slug: str | None = None) -> list[BlockDocumentInfo]:
        """Saved documents, by type then name: of ``slug`` when given, of this class
        when called on a concrete block class, else all of them."""
        if slug is None and cls is not Block and not inspect.isabstract(cls):
            slug = cls.get_block_type_slug()
        records = get_store().read_block_documents(slug)
        if slug is None and cls is not Block:  # an interface: documents of implementing types
            records = [r for r in records if _implements(r.block_type_slug, cls)]
        return [
            BlockDocumentInfo(
                r.id, r.block_type_slug, r.name, r.schema_version, r.created, r.updated
            )
            for r in records
        ]

    @classmethod
    async def alist_documents(cls, slug: str | None = None) -> list[BlockDocumentInfo]:
        """Async twin of :meth:`list_documents`."""
        return await asyncio.to_thread(cls.list_documents, slug)


def _implements(slug: str, interface: type[Block]) -> bool:
    try:
        return issubclass(get_block_class(slug), interface)
    except LookupError:
        return False


def _merge_secrets(value: Any, dumped: Any, *, reveal: bool, json_mode: bool) -> Any:
    """``dumped`` with every secret position replaced by its dumped form."""
    if isinstance(value, _SecretBase):
        return dump_secret(value, reveal=reveal, json_mode=json_mode)
    if isinstance(value, list | tuple) and isinstance(dumped, list | tuple):
        if len(value) == len(dumped):
            merged = [
                _merge_secrets(v, d, reveal=reveal, json_mode=json_mode)
                for v, d in zip(value, dumped, strict=True)
            ]
            return merged if isinstance(dumped, list) else tuple(merged)
        return dumped
    if isinstance(value, dict) and isinstance(dumped, dict):
        return {
            k: _merge_secrets(value[k], d, reveal=reveal, json_mode=json_mode) if k in value else d
            for k, d in dumped.items()
        }
    return dumped
