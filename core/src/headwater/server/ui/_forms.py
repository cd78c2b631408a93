"""Block forms: fields generated from a block class's JSON schema, and form data back to data.

:func:`form_spec` reads ``cls.model_json_schema()`` (plus the class itself, to
tell nested blocks from plain objects) into a tree of :class:`FieldSpec`; the
templates draw that tree (``_form_fields.html``) and :func:`parse_form` turns
the posted strings back into the data the block class validates.

- strings, numbers and integers (with their bounds), booleans (a checkbox, or
  a yes/no/blank select when the field may be None), enums and Literals (a
  select), lists of scalars (a textarea, one item per line), anything else
  (dicts, lists of objects, free JSON) as a JSON textarea validated on post;
- a blank input means "not given": the field's default, or None when it may be
  None;
- secret fields (``writeOnly`` / ``format: password`` in the schema) are
  write-only: a password input that is never filled in; a JSON secret (a
  ``SecretDict``) shows its keys with every literal value masked, so an edit
  may change one entry and keep the rest. Blank or masked parts keep the
  stored secret (:func:`headwater.blocks.documents.keep_masked_secrets`);
- a nested block is chosen from the saved documents of its type(s), and saved
  as a reference to that document;
- a union of several kinds (``anyOf``) shows a select of alternatives, each
  with its own inputs; only the chosen one is read.

Input names: ``f.<path>`` for values, ``u.<path>`` for a union's chosen
alternative, ``clear.<path>`` to remove an optional stored secret. Paths are
field names joined with ``.``; alternative ``i`` of a union adds ``@i``.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic_core import to_jsonable_python

if TYPE_CHECKING:
    from pydantic import ValidationError

    from headwater.blocks import Block

__all__ = [
    "KEEP_INLINE",
    "MISSING",
    "BlockForm",
    "FieldSpec",
    "block_options",
    "form_spec",
    "initial_values",
    "parse_form",
    "validation_messages",
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
        return _text(option)


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


# -- from the schema ----------------------------------------------------------------------


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
    from headwater.blocks import Block

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
    from headwater.blocks import Block

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


# -- what the form shows -------------------------------------------------------------------


def _text(value: Any) -> str:
    value = getattr(value, "value", value) if not isinstance(value, str | int | float) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _dumps(value: Any) -> str:
    return json.dumps(to_jsonable_python(value), indent=2, sort_keys=False)


def _masked_secret_json(value: Any) -> str:
    from headwater._block_views import MASK, map_secret
    from headwater.blocks.secrets import stored_secret

    stored = stored_secret(value) if hasattr(value, "_secret_value") else value
    return _dumps(map_secret(stored, lambda _path, _literal: MASK, path=""))


def _secret_reference(value: Any) -> str | None:
    from headwater.blocks.secrets import secret_reference

    if isinstance(value, SecretStr | SecretBytes):
        return secret_reference(value)
    return None


def _matches(spec: FieldSpec, value: Any) -> bool:
    """Whether ``value`` (a field's Python value) belongs to union alternative ``spec``."""
    from headwater.blocks import Block, SecretDict, SecretJson

    if spec.kind == "block":
        return isinstance(value, Block) and isinstance(value, spec.block_types)
    if spec.kind == "object":
        if isinstance(value, BaseModel):
            return type(value).__name__ == spec.label or spec.label in ("", "object")
        return isinstance(value, dict)
    if spec.kind == "secret":
        return isinstance(value, SecretStr | SecretBytes)
    if spec.kind == "secret_json":
        if not isinstance(value, SecretJson | SecretDict):
            return False
        if spec.label == "JSON object":  # pydantic may keep a dict in a SecretJson
            return isinstance(value, SecretDict) or isinstance(value._secret_value, dict)
        return True
    if spec.kind in ("checkbox", "tristate"):
        return isinstance(value, bool)
    if spec.kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if spec.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if spec.kind == "select":
        return any(_text(option) == _text(value) for option in spec.options)
    if spec.kind == "text":
        return isinstance(value, str)
    if spec.kind == "lines":
        return isinstance(value, list | tuple)
    return True  # json takes anything


def _child_value(value: Any, key: str) -> Any:
    if isinstance(value, BaseModel):
        return getattr(value, key, None)
    if isinstance(value, dict):
        return value.get(key)
    return None


def initial_values(specs: list[FieldSpec], block: Block | None) -> BlockForm:
    """The form for ``specs`` filled from ``block`` (an edit), or from the defaults (new)."""
    form = BlockForm(specs=specs, values={}, editing=block is not None)
    for spec in specs:
        if block is None:
            _fill(spec, spec.default, form, from_default=True)
        else:
            _fill(spec, getattr(block, spec.key, None), form, from_default=False)
    return form


def _fill(spec: FieldSpec, value: Any, form: BlockForm, *, from_default: bool) -> None:
    from headwater._block_views import document_address

    if from_default and value is MISSING:
        if spec.kind == "union":
            form.values[spec.union_name] = "0"
            for alt in spec.children:
                _fill(alt, MISSING, form, from_default=True)
        elif spec.kind == "object":
            for child in spec.children:
                _fill(child, child.default, form, from_default=True)
        return
    if spec.kind == "union":
        chosen = next((i for i, alt in enumerate(spec.children) if _matches(alt, value)), 0)
        if value is None:
            chosen = 0
        form.values[spec.union_name] = str(chosen)
        for index, alt in enumerate(spec.children):
            if index == chosen and value is not None:
                _fill(alt, value, form, from_default=from_default)
            else:
                _fill(alt, MISSING, form, from_default=True)
        return
    if spec.kind == "secret":
        if not from_default and value is not None:
            form.stored_secrets[spec.path] = _secret_reference(value)
        return
    if spec.kind == "secret_json":
        if not from_default and value is not None:
            form.stored_secrets[spec.path] = None
            form.values[spec.name] = _masked_secret_json(value)
        return
    if spec.kind == "object":
        for child in spec.children:
            _fill(child, _child_value(value, child.key), form, from_default=from_default)
        return
    if value is None:
        return
    if spec.kind == "block":
        address = document_address(value) if not from_default else None
        form.values[spec.name] = address or (KEEP_INLINE if not from_default else "")
    elif spec.kind == "checkbox":
        if value:
            form.values[spec.name] = "on"
    elif spec.kind == "lines":
        form.values[spec.name] = "\n".join(_text(item) for item in value)
    elif spec.kind == "json":
        form.values[spec.name] = _dumps(value)
    else:
        form.values[spec.name] = _text(value)


def block_options(form: BlockForm) -> None:
    """Fill ``form.block_options``: the saved documents each nested-block field may use."""
    from headwater.blocks import Block

    def walk(specs: list[FieldSpec]) -> None:
        for spec in specs:
            if spec.kind == "block":
                options: list[tuple[str, str]] = []
                for slug in spec.block_slugs:
                    for info in Block.list_documents(slug):
                        options.append((info.reference, info.reference))
                if form.values.get(spec.name) == KEEP_INLINE:
                    options.insert(0, (KEEP_INLINE, "keep the block stored inline (unchanged)"))
                form.block_options[spec.path] = options
            walk(spec.children)

    walk(form.specs)


# -- what the form posts ------------------------------------------------------------------


@dataclass
class _Parse:
    form: Mapping[str, str]
    current: Block | None
    errors: dict[str, str] = field(default_factory=dict)
    clears: list[str] = field(default_factory=list)


def parse_form(
    specs: list[FieldSpec], posted: Mapping[str, str], *, current: Block | None = None
) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """``(data, cleared, errors)`` from the posted strings.

    ``data`` holds what the form gives (blank fields are left out, secrets as
    typed, nested blocks as loaded :class:`Block` objects); ``cleared`` names the
    optional secrets the user asked to remove; ``errors`` maps field paths to
    messages (which never repeat a value). ``current`` is the block being
    edited, whose inline nested blocks the form may keep.
    """
    state = _Parse(form=posted, current=current)
    data: dict[str, Any] = {}
    for spec in specs:
        current_value = getattr(current, spec.key, None) if current is not None else None
        value = _parse(spec, state, current_value)
        if value is not MISSING:
            data[spec.key] = value
        if spec.kind in ("secret", "secret_json", "union") and posted.get(spec.clear_name):
            state.clears.append(spec.key)
    return data, state.clears, state.errors


def _number(spec: FieldSpec, raw: str, kind: str, state: _Parse) -> Any:
    try:
        if kind == "integer":
            return int(raw.strip())
        number = float(raw.strip())
    except ValueError:
        what = "a whole number" if kind == "integer" else "a number"
        state.errors[spec.path] = f"field {spec.path!r}: enter {what}"
        return MISSING
    return number


def _parse(spec: FieldSpec, state: _Parse, current: Any) -> Any:
    raw = state.form.get(spec.name, "")
    if spec.kind == "union":
        try:
            chosen = int(state.form.get(spec.union_name, "0"))
        except ValueError:
            chosen = 0
        if not 0 <= chosen < len(spec.children):
            chosen = 0
        value = _parse(spec.children[chosen], state, current)
        for key in [k for k in state.errors if k.startswith(spec.children[chosen].path)]:
            state.errors[spec.path] = state.errors.pop(key)
        secret = spec.children[chosen].kind in ("secret", "secret_json")
        if value is MISSING and spec.nullable and not secret and spec.path not in state.errors:
            return None  # blank: None (a blank secret instead keeps the stored one)
        return value
    if spec.kind == "object":
        data = {}
        for child in spec.children:
            value = _parse(child, state, _child_value(current, child.key))
            if value is not MISSING:
                data[child.key] = value
        return data
    if spec.kind == "checkbox":
        return bool(raw)
    if spec.kind in ("secret", "secret_json"):
        if not raw.strip():
            return MISSING  # kept from the stored document on an edit
        if spec.kind == "secret":
            return raw
        return _json(spec, raw, state)
    blank = not raw.strip()
    if blank and spec.kind != "lines":
        return None if spec.nullable else MISSING
    if spec.kind == "tristate":
        return {"true": True, "false": False}.get(raw)
    if spec.kind in ("integer", "number"):
        return _number(spec, raw, spec.kind, state)
    if spec.kind == "select":
        for option in spec.options:
            if _text(option) == raw:
                return option
        state.errors[spec.path] = f"field {spec.path!r}: choose one of the listed values"
        return MISSING
    if spec.kind == "lines":
        items = [line.strip() for line in raw.splitlines() if line.strip()]
        if not items:
            return None if spec.nullable else []
        if spec.item_kind == "text":
            return items
        return [_number(spec, item, spec.item_kind, state) for item in items]
    if spec.kind == "json":
        return _json(spec, raw, state)
    if spec.kind == "block":
        return _nested_block(spec, raw.strip(), state, current)
    return raw


def _json(spec: FieldSpec, raw: str, state: _Parse) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:  # its message names the place, never the text
        state.errors[spec.path] = (
            f"field {spec.path!r}: not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
        )
        return MISSING


def _nested_block(spec: FieldSpec, raw: str, state: _Parse, current: Any) -> Any:
    from headwater.blocks import Block, get_block_class
    from headwater.errors import HeadwaterError

    if raw == KEEP_INLINE:
        if isinstance(current, Block):
            return current
        state.errors[spec.path] = f"field {spec.path!r}: there is no stored block to keep"
        return MISSING
    slug, _, name = raw.partition("/")
    if slug not in spec.block_slugs or not name:
        kinds = ", ".join(spec.block_slugs)
        state.errors[spec.path] = f"field {spec.path!r}: choose a saved block of type {kinds}"
        return MISSING
    try:
        return get_block_class(slug).load(name)
    except (HeadwaterError, ValueError) as exc:  # our errors name blocks and fields, not values
        state.errors[spec.path] = f"field {spec.path!r}: {exc}"
        return MISSING


def validation_messages(exc: ValidationError, specs: list[FieldSpec]) -> dict[str, str]:
    """Field path -> message for a pydantic error, without the input (it may be a secret).

    Errors about the whole block (a model validator) and unknown fields go under ``""``.
    """
    known = {spec.key: spec.path for spec in specs}
    out: dict[str, str] = {}
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        loc = [str(part) for part in error["loc"]]
        message = "unknown field" if error["type"] == "extra_forbidden" else error["msg"]
        where = ".".join(loc)
        path = known.get(loc[0], "") if loc else ""
        text = f"field {where!r}: {message}" if where else message
        out[path] = f"{out[path]}; {text}" if path in out else text
    return out
