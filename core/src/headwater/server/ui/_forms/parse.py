"""Block forms, part 3: the posted strings back into the data the block class validates.

A blank input means "not given" (the field's default, or None when it may be
None); blank or masked parts of a secret keep the stored secret; a nested
block is loaded from the saved document the select names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from headwater.blocks import Block, get_block_class
from headwater.errors import HeadwaterError
from headwater.server.ui._forms.spec import KEEP_INLINE, MISSING, FieldSpec, child_value, text

__all__ = ["parse_form", "validation_messages"]


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
            value = _parse(child, state, child_value(current, child.key))
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
            if text(option) == raw:
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
