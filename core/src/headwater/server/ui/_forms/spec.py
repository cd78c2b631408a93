"""Block forms, part 1: the fields of a form, read from a block class's JSON schema.

:func:`form_spec` reads ``cls.model_json_schema()`` (plus the class itself, to
tell nested blocks from plain objects) into a tree of :class:`FieldSpec`, which
the templates draw (``_form_fields.html``). :class:`BlockForm` is what a
template gets: the tree, the texts to show and the errors. See the package
docstring for how each kind of field is shown.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from headwater.blocks import Block

__all__ = [
    "KEEP_INLINE",
    "MISSING",
    "BlockForm",
    "FieldSpec",
    "Kind",
    "child_value",
    "dumps",
    "form_spec",
    "text",
]

Kind = Literal[
    "text",
    "number",
    "integer",
    "checkbox",
    "tristate",
    "select",
    "lines",
    "json",
    "secret",
    "secret_json",
    "block",
    "object",
    "union",
]

KEEP_INLINE = "__inline__"
"""The nested-block select's value for "keep the block stored inline in this document"."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""A field the form leaves out (blank): the class default applies."""


@dataclass
class FieldSpec:
    """One input (or group of inputs) of a block form."""

    key: str
    """The property name in the data (the same for every alternative of a union)."""
    path: str
    """Unique within the form: dotted field names, ``@i`` for union alternative ``i``."""
    kind: Kind
    label: str
    help: str = ""
    required: bool = False
    nullable: bool = False
    default: Any = MISSING
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    options: list[Any] = field(default_factory=list)
    item_kind: Literal["text", "integer", "number"] = "text"
    children: list[FieldSpec] = field(default_factory=list)
    """An object's fields, or a union's alternatives."""
    block_types: tuple[type[Block], ...] = ()

    @property
    def name(self) -> str:
        """The input's name."""
        return f"f.{self.path}"

    @property
    def union_name(self) -> str:
        """The name of a union's alternative select."""
        return f"u.{self.path}"

    @property
    def clear_name(self) -> str:
        """The name of the "remove the stored secret" checkbox."""
        return f"clear.{self.path}"

    @property
    def block_slugs(self) -> list[str]:
        return [cls.get_block_type_slug() for cls in self.block_types]

    def option_value(self, option: Any) -> str:
        """The text an enum option is posted as."""
        return text(option)


@dataclass
class BlockForm:
    """Everything a block form template needs: the fields, what to show in them, errors."""

    specs: list[FieldSpec]
    values: dict[str, str]
    """Input name -> text to show (never a secret)."""
    errors: dict[str, str] = field(default_factory=dict)
    """Field path -> message."""
    stored_secrets: dict[str, str | None] = field(default_factory=dict)
    """Paths of secret fields that have a stored value -> its reference (``env://X``) or None."""
    block_options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Path of a nested-block field -> ``(value, label)`` options."""
    editing: bool = False


def text(value: Any) -> str:
    """A scalar (or an enum member) as the text an input shows and posts."""
    value = getattr(value, "value", value) if not isinstance(value, str | int | float) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def dumps(value: Any) -> str:
    """A value as the indented JSON a textarea shows."""
    return json.dumps(to_jsonable_python(value), indent=2, sort_keys=False)


def child_value(value: Any, key: str) -> Any:
    """The value of field ``key`` inside a model or dict value (None when absent)."""
    if isinstance(value, BaseModel):
        return getattr(value, key, None)
    if isinstance(value, dict):
        return value.get(key)
    return None


def _flatten(annotation: Any) -> Iterator[Any]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _flatten(typing.get_args(annotation)[0])
        return
    yield annotation
    for arg in typing.get_args(annotation):
        yield from _flatten(arg)


def _model_classes(cls: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model reachable from ``cls``'s fields, by class name (blocks not entered)."""
    for info in cls.model_fields.values():
        for member in _flatten(info.annotation):
            if isinstance(member, type) and issubclass(member, BaseModel):
                if member.__name__ in seen:
                    continue
                seen[member.__name__] = member
                if not issubclass(member, Block):
                    _model_classes(member, seen)


@dataclass
class _Context:
    defs: dict[str, Any]
    models: dict[str, type[BaseModel]]
    expanding: list[str] = field(default_factory=list)
    """The ``$defs`` being expanded now: a model that contains itself becomes JSON there."""


def form_spec(cls: type[Block]) -> list[FieldSpec]:
    """The fields of a form for ``cls``, in declaration order."""
    schema = cls.model_json_schema()
    models: dict[str, type[BaseModel]] = {}
    _model_classes(cls, models)
    ctx = _Context(defs=dict(schema.get("$defs", {})), models=models)
    specs = _object_children(schema, "", ctx)
    for spec in specs:  # defaults from a default_factory are not in the schema
        info = cls.model_fields.get(spec.key)
        if spec.kind in ("secret", "secret_json", "block", "union"):
            continue
        if spec.default is MISSING and info is not None and info.default_factory is not None:
            try:
                spec.default = to_jsonable_python(info.get_default(call_default_factory=True))
            except Exception:  # a factory that needs the other fields: leave it to the class
                spec.default = MISSING
    return specs


def _object_children(schema: Mapping[str, Any], prefix: str, ctx: _Context) -> list[FieldSpec]:
    required = set(schema.get("required", ()))
    return [
        _spec(key, dict(prop), f"{prefix}{key}", ctx, required=key in required)
        for key, prop in dict(schema.get("properties", {})).items()
    ]


def _ref_target(schema: Mapping[str, Any], ctx: _Context) -> tuple[str, dict[str, Any]] | None:
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return None
    name = ref.rsplit("/", 1)[-1]
    return name, dict(ctx.defs.get(name, {}))


def _block_of(schema: Mapping[str, Any], ctx: _Context) -> type[Block] | None:
    """The block class a ``$ref`` schema stands for, if it is a block."""
    target = _ref_target(schema, ctx)
    if target is None:
        return None
    name, definition = target
    model = ctx.models.get(name) or ctx.models.get(str(definition.get("title", "")))
    if model is not None and issubclass(model, Block):
        return model
    return None


def _is_secret(schema: Mapping[str, Any]) -> bool:
    return bool(schema.get("writeOnly")) or schema.get("format") == "password"


def _holds_secret(schema: Mapping[str, Any]) -> bool:
    """Whether a container's items or values are secrets (``list[SecretStr]``...)."""
    inner = [schema.get("items"), schema.get("additionalProperties"), schema.get("prefixItems")]
    return any(isinstance(i, dict | list) and '"writeOnly": true' in json.dumps(i) for i in inner)


def _spec(
    key: str, schema: dict[str, Any], path: str, ctx: _Context, *, required: bool
) -> FieldSpec:
    base = {
        "key": key,
        "path": path,
        "label": str(schema.get("title") or key.replace("_", " ").capitalize()),
        "help": str(schema.get("description") or ""),
        "required": required,
        "default": schema.get("default", MISSING),
    }
    if len(schema.get("allOf", ())) == 1:  # pydantic wraps a $ref with siblings this way
        inner = dict(schema.pop("allOf")[0])
        schema = {**inner, **schema}
    members = schema.get("anyOf") or schema.get("oneOf")
    if members:
        options = [dict(m) for m in members if m.get("type") != "null"]
        nullable = len(options) < len(members)
        if _is_secret(schema):
            options = [{**m, "writeOnly": True} for m in options]
        if len(options) == 1:
            outer = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            one = _spec(key, {**options[0], **outer}, path, ctx, required=required)
            one.nullable = one.nullable or nullable
            if one.kind == "checkbox" and one.nullable:
                one.kind = "tristate"  # yes / no / none
            return one
        return _union(base, options, nullable, ctx)
    block = _block_of(schema, ctx)
    if block is not None:
        return FieldSpec(**base, kind="block", block_types=(block,))
    target = _ref_target(schema, ctx)
    if target is not None:
        if target[0] in ctx.expanding:  # a recursive model: edit the rest as JSON
            return FieldSpec(**base, kind="json")
        outer = {k: v for k, v in schema.items() if k != "$ref"}
        ctx.expanding.append(target[0])
        try:
            return _spec(key, {**target[1], **outer}, path, ctx, required=required)
        finally:
            ctx.expanding.pop()
    return _plain(base, schema, ctx)


def _union(
    base: dict[str, Any], options: list[dict[str, Any]], nullable: bool, ctx: _Context
) -> FieldSpec:
    blocks = [b for b in (_block_of(m, ctx) for m in options) if b is not None]
    others = [m for m in options if _block_of(m, ctx) is None]
    if blocks and not others:  # a union of blocks: one select over their saved documents
        return FieldSpec(**base, kind="block", nullable=nullable, block_types=tuple(blocks))
    alternatives: list[FieldSpec] = []
    if blocks:
        alt = FieldSpec(
            key=base["key"],
            path=f"{base['path']}@0",
            kind="block",
            label="saved block",
            required=True,
            block_types=tuple(blocks),
        )
        alternatives.append(alt)
    for member in others:
        index = len(alternatives)
        alt = _spec(base["key"], dict(member), f"{base['path']}@{index}", ctx, required=True)
        alt.label = _alternative_label(member, alt, ctx)
        alt.help = ""
        alternatives.append(alt)
    return FieldSpec(**base, kind="union", nullable=nullable, children=alternatives)


def _alternative_label(member: Mapping[str, Any], spec: FieldSpec, ctx: _Context) -> str:
    target = _ref_target(member, ctx)
    if target is not None:
        return str(target[1].get("title") or target[0])
    if spec.kind in ("secret", "text"):
        return "text"
    if spec.kind == "secret_json":
        return "JSON object" if member.get("type") == "object" else "JSON value"
    kinds = {"integer": "whole number", "number": "number", "checkbox": "yes/no"}
    if spec.kind in kinds:
        return kinds[spec.kind]
    if spec.kind == "lines":
        return "list"
    if "title" in member:
        return str(member["title"])
    return "JSON object" if member.get("type") == "object" else "JSON value"


def _plain(base: dict[str, Any], schema: dict[str, Any], ctx: _Context) -> FieldSpec:
    kind_of = schema.get("type")
    nullable = False
    if isinstance(kind_of, list):
        nullable = "null" in kind_of
        rest = [t for t in kind_of if t != "null"]
        kind_of = rest[0] if len(rest) == 1 else None
    if _is_secret(schema) or _holds_secret(schema):
        kind: Kind = "secret" if kind_of == "string" else "secret_json"
        return FieldSpec(**base, kind=kind, nullable=nullable)
    if "enum" in schema or "const" in schema:
        options = list(schema["enum"]) if "enum" in schema else [schema["const"]]
        return FieldSpec(**base, kind="select", nullable=nullable, options=options)
    if kind_of == "boolean":
        return FieldSpec(**base, kind="checkbox", nullable=nullable)
    if kind_of in ("integer", "number"):
        return FieldSpec(
            **base,
            kind="integer" if kind_of == "integer" else "number",
            nullable=nullable,
            minimum=schema.get("minimum"),
            maximum=schema.get("maximum"),
            exclusive_minimum=schema.get("exclusiveMinimum"),
            exclusive_maximum=schema.get("exclusiveMaximum"),
        )
    if kind_of == "string":
        return FieldSpec(**base, kind="text", nullable=nullable)
    if kind_of == "array":
        items = dict(schema.get("items", {}))
        target = _ref_target(items, ctx)
        if target is not None:
            items = target[1]
        item_type = items.get("type")
        if item_type in ("string", "integer", "number") and "enum" not in items:
            item_kind: Literal["text", "integer", "number"] = (
                "text" if item_type == "string" else item_type
            )
            return FieldSpec(**base, kind="lines", nullable=nullable, item_kind=item_kind)
    if kind_of == "object" and schema.get("properties"):
        children = _object_children(schema, f"{base['path']}.", ctx)
        return FieldSpec(**base, kind="object", nullable=nullable, children=children)
    return FieldSpec(**base, kind="json", nullable=nullable)
