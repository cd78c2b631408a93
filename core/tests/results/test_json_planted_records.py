"""A planted JSON result record runs nothing: the serializer rebuilds only trusted types.

The attacker can write into result storage (a shared folder, a bucket) and
plants a record that names a class to call. The reader must refuse every
type that is not a real namedtuple, Enum, pydantic model or dataclass from an
allowed module, import no module outside the allow-list, and call nothing.
The regression tests run a real flow whose cached task then hits the planted
record, and check that no marker file appears and that the task recomputes.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pydantic
import pytest

from headwater import flow, task
from headwater.serializers import JSONSerializer, SerializationError, allowed_json_modules
from headwater.settings import reset_settings

_RECORD_MAGIC = b"HEADWATER-RESULT/1\n"


class Tone(enum.Enum):
    LOW = 1
    HIGH = 2


class Pair(NamedTuple):
    left: int
    right: str


@dataclasses.dataclass
class Box:
    size: int
    label: str = "x"


class Settings(pydantic.BaseModel):
    name: str
    retries: int = 0


class NotADataclass:
    """A plain class in an allowed module: its __init__ has a side effect."""

    def __init__(self, **kwargs: Any) -> None:
        Path(kwargs["marker"]).write_text("ran")


@pytest.fixture
def evil_module(tmp_path: Path) -> Iterator[Path]:
    """An importable module ``hw_evil_mod`` whose import and whose class's __init__ write markers."""
    folder = tmp_path / "evil"
    folder.mkdir()
    import_marker = tmp_path / "evil-imported"
    (folder / "hw_evil_mod.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(import_marker)!r}).write_text('imported')\n"
        "class Evil:\n"
        "    def __init__(self, *args, **kwargs):\n"
        f"        Path({str(tmp_path / 'marker')!r}).write_text('ran')\n"
    )
    sys.path.insert(0, str(folder))
    try:
        yield import_marker
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("hw_evil_mod", None)


def _payloads(marker: Path) -> dict[str, dict[str, Any]]:
    m = str(marker)
    return {
        "subprocess.Popen": {
            "__hw__": "namedtuple",
            "class": "subprocess:Popen",
            "items": [["touch", m]],
        },
        "os.system": {"__hw__": "enum", "class": "os:system", "value": f"touch {m}"},
        "builtins.eval": {
            "__hw__": "enum",
            "class": "builtins:eval",
            "value": f"__import__('pathlib').Path({m!r}).write_text('ran')",
        },
        "side-effect __init__": {"__hw__": "dataclass", "class": "hw_evil_mod:Evil", "value": {}},
        "side-effect __init__ as pydantic": {
            "__hw__": "pydantic",
            "class": "hw_evil_mod:Evil",
            "value": {},
        },
        "non-dataclass in allowed module": {
            "__hw__": "dataclass",
            "class": f"{__name__}:NotADataclass",
            "value": {"marker": m},
        },
        "class reached through an allowed module": {
            "__hw__": "namedtuple",
            "class": f"{__name__}:json.JSONDecoder",
            "items": [],
        },
    }


PAYLOAD_NAMES = list(_payloads(Path("m")))


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def _plant(record: Path, payload: dict[str, Any]) -> None:
    """Rewrite the record at ``record`` with ``payload`` as its JSON value (header kept valid)."""
    blob = record.read_bytes()
    assert blob.startswith(_RECORD_MAGIC)
    end = blob.index(b"\n", len(_RECORD_MAGIC))
    header = json.loads(blob[len(_RECORD_MAGIC) : end])
    body = json.dumps(payload).encode()
    header["length"] = len(body)
    record.write_bytes(_RECORD_MAGIC + json.dumps(header).encode() + b"\n" + body)


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_planted_record_runs_nothing_on_a_real_cache_hit(
    name: str,
    tmp_path: Path,
    evil_module: Path,
) -> None:
    marker = tmp_path / "marker"
    storage = tmp_path / "results"
    calls: list[int] = []

    @task(
        cache_key_fn=lambda ctx, params: "planted",
        result_storage=str(storage),
        result_serializer="json",
    )
    def compute() -> int:
        calls.append(1)
        return 42

    @flow
    def pipeline() -> int:
        return compute()

    assert pipeline() == 42
    assert pipeline() == 42
    assert len(calls) == 1  # the second run was a real cache hit

    _plant(storage / "planted", _payloads(marker)[name])
    warnings: list[str] = []
    handler = _Collect(warnings)
    results_logger = logging.getLogger("headwater.results")
    results_logger.addHandler(handler)
    try:
        assert pipeline() == 42
    finally:
        results_logger.removeHandler(handler)

    assert not marker.exists(), f"the planted {name} record ran code"
    assert not evil_module.exists(), "a module outside the allow-list was imported"
    assert len(calls) == 2  # refused, so computed again
    assert any("refusing to rebuild" in w and "computed again" in w for w in warnings)
    assert pipeline() == 42  # the recomputed result replaced the planted record
    assert len(calls) == 2


@pytest.mark.parametrize("name", PAYLOAD_NAMES)
def test_planted_payload_is_refused_naming_the_type(
    name: str, tmp_path: Path, evil_module: Path
) -> None:
    marker = tmp_path / "marker"
    payload = _payloads(marker)[name]
    with pytest.raises(SerializationError, match="refusing to rebuild") as info:
        JSONSerializer().loads(json.dumps(payload).encode())
    assert payload["class"] in str(info.value)
    assert not marker.exists()
    assert not evil_module.exists()


def test_allow_list_setting_admits_a_module_and_its_submodules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert allowed_json_modules() == ("__main__",)
    data = JSONSerializer().dumps(Box(3))
    with pytest.raises(SerializationError, match="HEADWATER_RESULTS_JSON_ALLOWED_MODULES"):
        JSONSerializer().loads(data)
    package = __name__.rpartition(".")[0] or __name__
    monkeypatch.setenv("HEADWATER_RESULTS_JSON_ALLOWED_MODULES", f" other , {package}")
    reset_settings()
    assert JSONSerializer().loads(data) == Box(3)
    assert allowed_json_modules() == ("__main__", "other", package)


def test_a_similar_module_name_is_not_a_submodule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEADWATER_RESULTS_JSON_ALLOWED_MODULES", "sub")
    reset_settings()
    data = json.dumps({"__hw__": "namedtuple", "class": "subprocess:Popen", "items": []})
    with pytest.raises(SerializationError, match="not allowed"):
        JSONSerializer().loads(data.encode())


LEGIT = [Tone.HIGH, Pair(1, "a"), Box(2, "b"), Settings(name="n", retries=3)]


@pytest.mark.parametrize("value", LEGIT, ids=lambda v: type(v).__name__)
def test_trusted_types_round_trip_through_a_real_cache_hit(value: Any, tmp_path: Path) -> None:
    calls: list[int] = []

    @task(
        cache_key_fn=lambda ctx, params: "legit",
        result_storage=str(tmp_path / "results"),
        result_serializer="json",
    )
    def compute() -> Any:
        calls.append(1)
        return value

    @flow
    def pipeline() -> Any:
        return compute()

    first = pipeline()
    second = pipeline()
    assert len(calls) == 1  # read back from the record, by default trusting the flow's module
    assert second == value
    assert type(second) is type(value)
    assert first == value
