"""Checks that what users store on purpose can be served back, run before anything is written.

A variable, artifact, block document or concurrency limit holding a lone
surrogate or a non-finite float (``NaN``, ``Infinity``) is refused with
:class:`~headwater.errors.InvalidRequest` naming the field
(:mod:`headwater._store.text`). The SQL store runs these checks (so the
server refuses such a request with a 422) and so does the HTTP store, so a
caller gets the same error on SQLite, PostgreSQL and over HTTP.
"""

from __future__ import annotations

import json

from headwater._store.records import ArtifactRecord, BlockDocumentRecord, VariableRecord
from headwater._store.text import check_json, check_text

__all__ = ["check_artifact", "check_block_document", "check_variable"]


def check_variable(record: VariableRecord) -> None:
    """Refuse a variable whose name, value or tags cannot be stored and served."""
    check_text("the variable name", record.name)
    label = f"variable {record.name!r}"
    check_json(f"the value of {label}", record.value)
    check_json(f"the tags of {label}", list(record.tags))


def check_artifact(record: ArtifactRecord) -> None:
    """Refuse an artifact whose key, description or data cannot be stored and served."""
    if record.key is not None:
        check_text("the artifact key", record.key)
    label = f"artifact {record.key!r}" if record.key is not None else "the artifact"
    if record.description is not None:
        check_text(f"the description of {label}", record.description)
    check_json(f"the data of {label}", record.data)


def check_block_document(record: BlockDocumentRecord) -> None:
    """Refuse a block document whose slug, name or data (even as a JSON escape such as
    ``"\\ud800"``) cannot be stored and served."""
    check_text("the block type slug", record.block_type_slug)
    check_text("the block document name", record.name)
    label = f"block document '{record.block_type_slug}/{record.name}'"
    check_text(f"the data of {label}", record.data)
    if not record.data:
        return
    try:
        parsed = json.loads(record.data)
    except ValueError:
        return  # not JSON: stored (and refused by the HTTP store) as before
    check_json(f"the data of {label}", parsed)
