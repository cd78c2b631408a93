"""Serializers: round trips, tagged JSON types, and clear failures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import threading
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pydantic
import pytest

from headwater.errors import ConfigurationError
from headwater.serializers import (
    JSONSerializer,
    PickleSerializer,
    SerializationError,
    Serializer,
    get_serializer,
    serializer_for_type,
)
from headwater.settings import reset_settings


@pytest.fixture(autouse=True)
def trust_this_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """The JSON serializer rebuilds only types from allowed modules: allow this one."""
    monkeypatch.setenv("HEADWATER_RESULTS_JSON_ALLOWED_MODULES", __name__)
    reset_settings()


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Point:
    x: int
    y: int
    label: str = "p"
    derived: int = dataclasses.field(init=False, default=0)


class Model(pydantic.BaseModel):
    name: str
    when: dt.datetime
    tags: list[str] = []


class Pair(NamedTuple):
    left: int
    right: str


JSON_VALUES: list[Any] = [
    None,
    True,
    3,
    2.5,
    "text ü",
    [1, "a", None],
    {"a": 1, "b": [1, 2]},
    (1, 2, (3, "x")),
    {1, 2, 3},
    frozenset({"a", "b"}),
    {1: "int key", (2, 3): "tuple key"},
    {"__hw__": "user data that looks like a tag"},
    dt.datetime(2024, 5, 1, 12, 30, 15, 123456, tzinfo=dt.UTC),
    dt.datetime(2024, 5, 1, 12, 30),
    dt.date(2024, 5, 1),
    dt.time(12, 30, 1),
    dt.timedelta(days=2, seconds=5, microseconds=7),
    uuid.UUID("12345678-1234-5678-1234-567812345678"),
    decimal.Decimal("1.10"),
    Path("/tmp/some/file.txt"),
    b"\x00\xffbytes",
    bytearray(b"abc"),
    Color.BLUE,
    Point(1, 2, "q"),
    Pair(1, "r"),
    Model(name="m", when=dt.datetime(2024, 1, 1, tzinfo=dt.UTC), tags=["x"]),
    {"nested": [{"when": dt.date(2020, 1, 2), "ids": {uuid.UUID(int=5)}}]},
]


@pytest.mark.parametrize("value", JSON_VALUES, ids=lambda v: type(v).__name__)
def test_json_round_trip_keeps_type_and_value(value: Any) -> None:
    ser = JSONSerializer()
    back = ser.loads(ser.dumps(value))
    assert back == value
    assert type(back) is type(value)


def test_json_dataclass_restores_non_init_fields() -> None:
    p = Point(1, 2)
    p.derived = 9
    ser = JSONSerializer()
    assert ser.loads(ser.dumps(p)).derived == 9


def test_json_output_is_readable_json() -> None:
    data = JSONSerializer().dumps({"a": [1, 2], "b": "c"})
    assert json.loads(data) == {"a": [1, 2], "b": "c"}


def test_json_refuses_unencodable_value_naming_type() -> None:
    with pytest.raises(SerializationError, match=r"_thread\.lock|lock") as info:
        JSONSerializer().dumps({"k": threading.Lock()})
    assert isinstance(info.value, TypeError)
    assert "pickle" in str(info.value)


def test_json_loads_bad_bytes_is_clear() -> None:
    with pytest.raises(SerializationError, match="not valid JSON"):
        JSONSerializer().loads(b"{not json")


def test_json_loads_unknown_class_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_RESULTS_JSON_ALLOWED_MODULES", "no_such_module_xyz")
    reset_settings()
    data = json.dumps(
        {"__hw__": "dataclass", "class": "no_such_module_xyz:Thing", "value": {}}
    ).encode()
    with pytest.raises(SerializationError, match="no_such_module_xyz:Thing"):
        JSONSerializer().loads(data)


@pytest.mark.parametrize(
    "value",
    [lambda x: x + 1, {"a": threading.Event}, Point(3, 4), [1, 2, 3]],
    ids=["lambda", "class", "dataclass", "list"],
)
def test_pickle_round_trip(value: Any) -> None:
    ser = PickleSerializer()
    back = ser.loads(ser.dumps(value))
    if callable(value) and not isinstance(value, type):
        assert back(1) == 2
    else:
        assert back == value


def test_pickle_refuses_unpicklable_naming_type() -> None:
    with pytest.raises(SerializationError, match="lock"):
        PickleSerializer().dumps(threading.Lock())


def test_pickle_loads_garbage_is_serialization_error() -> None:
    with pytest.raises(SerializationError, match="unpickle"):
        PickleSerializer().loads(b"definitely not a pickle")


def test_get_serializer_resolves_names_instances_and_default() -> None:
    assert isinstance(get_serializer(None), PickleSerializer)
    assert isinstance(get_serializer("pickle"), PickleSerializer)
    assert isinstance(get_serializer("cloudpickle"), PickleSerializer)
    assert isinstance(get_serializer("JSON"), JSONSerializer)
    custom = JSONSerializer()
    assert get_serializer(custom) is custom


def test_get_serializer_unknown_name_lists_known() -> None:
    with pytest.raises(ConfigurationError, match=r"'yaml'.*json.*pickle"):
        get_serializer("yaml")
    with pytest.raises(ConfigurationError, match="result_serializer"):
        get_serializer(42)  # type: ignore[arg-type]


def test_custom_serializer_registers_by_type() -> None:
    class Upper(Serializer):
        type = "test-upper"

        def dumps(self, obj: Any) -> bytes:
            return str(obj).upper().encode()

        def loads(self, data: bytes) -> Any:
            return data.decode()

    assert isinstance(get_serializer("test-upper"), Upper)
    assert serializer_for_type("test-upper").loads(b"X") == "X"
    with pytest.raises(SerializationError, match="nope"):
        serializer_for_type("nope")


@pytest.mark.parametrize("name", ["compressed/pickle", "compressed/json"])
def test_compressed_serializers_round_trip_and_read_back_by_type(name: str) -> None:
    ser = get_serializer(name)
    assert ser.type == name
    value = {"rows": list(range(1000)), "when": dt.date(2024, 1, 1)}
    data = ser.dumps(value)
    assert len(data) < len(get_serializer(name.split("/")[1]).dumps(value))
    assert serializer_for_type(name).loads(data) == value
    with pytest.raises(SerializationError, match="zlib"):
        ser.loads(b"not compressed")


def test_compressed_with_unknown_inner_names_it() -> None:
    with pytest.raises(ConfigurationError, match="'yaml'"):
        get_serializer("compressed/yaml")
