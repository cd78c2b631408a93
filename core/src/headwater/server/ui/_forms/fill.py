"""Block forms, part 2: what a form shows, filled from a saved block or the defaults.

Secrets are never shown: a secret field only says whether a value is stored
(and its reference, ``env://X``, which is not the secret); a JSON secret shows
its keys with every literal value masked.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretBytes, SecretStr

from headwater._block_views import MASK, document_address, map_secret
from headwater.blocks import Block, SecretDict, SecretJson
from headwater.blocks.secrets import secret_reference, stored_secret
from headwater.server.ui._forms.spec import (
    KEEP_INLINE,
    MISSING,
    BlockForm,
    FieldSpec,
    child_value,
    dumps,
    text,
)

__all__ = ["block_options", "initial_values"]


def _masked_secret_json(value: Any) -> str:
    stored = stored_secret(value) if hasattr(value, "_secret_value") else value
    return dumps(map_secret(stored, lambda _path, _literal: MASK, path=""))


def _secret_reference(value: Any) -> str | None:
    if isinstance(value, SecretStr | SecretBytes):
        return secret_reference(value)
    return None


def _matches(spec: FieldSpec, value: Any) -> bool:
    """Whether ``value`` (a field's Python value) belongs to union alternative ``spec``."""
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
        return any(text(option) == text(value) for option in spec.options)
    if spec.kind == "text":
        return isinstance(value, str)
    if spec.kind == "lines":
        return isinstance(value, list | tuple)
    return True  # json takes anything


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
            _fill(child, child_value(value, child.key), form, from_default=from_default)
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
        form.values[spec.name] = "\n".join(text(item) for item in value)
    elif spec.kind == "json":
        form.values[spec.name] = dumps(value)
    else:
        form.values[spec.name] = text(value)


def block_options(form: BlockForm) -> None:
    """Fill ``form.block_options``: the saved documents each nested-block field may use."""

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
