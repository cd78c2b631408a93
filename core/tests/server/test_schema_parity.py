"""The API's schemas and the store's records list the same fields.

A field added to a record (or a schema) without its counterpart fails here; the
differences that are on purpose are listed in :data:`PAIRS` with the reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel

from headwater._store import records
from headwater.server import schemas
from headwater.server.api.flows import Flow

# schema, record, {field: why it is only on one side}
PAIRS: list[tuple[type[BaseModel], type[Any], dict[str, str]]] = [
    (Flow, records.FlowRecord, {}),
    (schemas.FlowRun, records.FlowRunRecord, {}),
    (schemas.FlowRunCreate, records.FlowRunRecord, {}),
    (schemas.TaskRun, records.TaskRunRecord, {}),
    (schemas.TaskRunCreate, records.TaskRunRecord, {}),
    (schemas.StateChange, records.StateRecord, {}),
    (schemas.StateCreate, records.StateRecord, {}),
    (schemas.LogLine, records.LogRecord, {}),
    (schemas.LogCreate, records.LogRecord, {}),
    (schemas.ConcurrencyLimit, records.ConcurrencyLimitRecord, {}),
    (
        schemas.BlockDocument,
        records.BlockDocumentRecord,
        {"address": "schema only: `type/name`, derived from the slug and the name"},
    ),
    (schemas.Variable, records.VariableRecord, {}),
    (schemas.Artifact, records.ArtifactRecord, {}),
    (schemas.ProposalOutcome, records.TransitionResult, {}),
]

CREATES: list[tuple[type[BaseModel], type[Any]]] = [
    (schemas.FlowRunCreate, records.FlowRunRecord),
    (schemas.TaskRunCreate, records.TaskRunRecord),
    (schemas.StateCreate, records.StateRecord),
    (schemas.LogCreate, records.LogRecord),
]
"""Schemas that carry a record to the store unchanged: same required fields and defaults."""


def _record_fields(record: type[Any]) -> dict[str, dataclasses.Field[Any]]:
    return {f.name: f for f in dataclasses.fields(record)}


def _only_on_one_side(schema: type[BaseModel], record: type[Any]) -> set[str]:
    return set(schema.model_fields) ^ set(_record_fields(record))


@pytest.mark.parametrize(
    ("schema", "record", "differences"), PAIRS, ids=lambda p: getattr(p, "__name__", "")
)
def test_schema_and_record_have_the_same_fields(
    schema: type[BaseModel], record: type[Any], differences: dict[str, str]
) -> None:
    in_schema = set(schema.model_fields)
    in_record = set(_record_fields(record))
    assert _only_on_one_side(schema, record) == set(differences), (
        f"{schema.__name__} vs {record.__name__}: only in the schema "
        f"{sorted(in_schema - in_record)}, only in the record {sorted(in_record - in_schema)}; "
        "add the field to the other side, or list it in PAIRS with the reason"
    )


@pytest.mark.parametrize(("schema", "record"), CREATES, ids=lambda p: getattr(p, "__name__", ""))
def test_create_schemas_have_the_records_defaults(
    schema: type[BaseModel], record: type[Any]
) -> None:
    for name, field in _record_fields(record).items():
        model_field = schema.model_fields[name]
        if field.default is not dataclasses.MISSING:
            assert model_field.get_default() == field.default, name
        elif field.default_factory is not dataclasses.MISSING:
            assert model_field.get_default(call_default_factory=True) == field.default_factory(), (
                name
            )
        else:
            assert model_field.is_required(), name


def test_every_record_has_a_schema() -> None:
    mirrored = {record for _, record, _ in PAIRS}
    every = {
        value
        for value in vars(records).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    }
    assert every - mirrored == set()


def test_the_check_notices_a_missing_field() -> None:
    @dataclasses.dataclass
    class Grown(records.LogRecord):  # a record that gained a field
        thread: str = "main"

    assert _only_on_one_side(schemas.LogLine, Grown) == {"thread"}
    assert _only_on_one_side(schemas.LogLine, records.LogRecord) == set()
