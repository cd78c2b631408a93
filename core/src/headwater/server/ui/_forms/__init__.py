"""Block forms: fields generated from a block class's JSON schema, and form data back to data.

Three modules, one step each: :mod:`.spec` (schema to fields),
:mod:`.fill` (what a form shows) and :mod:`.parse` (what a form posts).

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

from headwater.server.ui._forms.fill import block_options, initial_values
from headwater.server.ui._forms.parse import parse_form, validation_messages
from headwater.server.ui._forms.spec import KEEP_INLINE, MISSING, BlockForm, FieldSpec, form_spec

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
